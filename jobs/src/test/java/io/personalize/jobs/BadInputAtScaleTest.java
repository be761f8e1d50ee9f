package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.tools.EventReplayer;
import io.personalize.jobs.tools.MalformedRecords;
import io.personalize.jobs.tools.MalformedRecords.Bad;
import io.personalize.jobs.tools.MalformedRecords.Kind;
import io.personalize.schema.DeadLetter;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecideAndAssign;
import io.personalize.udfs.ingest.EventDecoder;
import io.personalize.udfs.ingest.EventValidator;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.executiongraph.ArchivedExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input at scale, through the whole DAG on a RocksDB MiniCluster and a real Kafka broker:
 * thousands of malformed, truncated, oversized (up to 6 MB) and wrong-schema records interleaved
 * with thousands of real Online Retail events. The job must not fail (no restart strategy: the
 * first exception would fail it), every bad record must become exactly one dead letter with the
 * reason its kind calls for and what it takes to find it again, no dead letter may be larger than
 * the decoder's bound, and every valid event must be decided exactly once.
 */
class BadInputAtScaleTest {
    /** The last purchases of the file (after the training cut), with views and searches between them. */
    private static final int PURCHASES = 2_000;
    /** Valid events years behind the others: late for every window, still decided. */
    private static final int YEARS_LATE = 40;
    /** Records of 2 to 6 MB. */
    private static final int HUGE = 10;
    private static final String PREFIX = "bad-";

    @TempDir
    static Path temp;

    @RegisterExtension
    static final MiniClusterExtension FLINK = PersonalizationJobTest.rocksDbMiniCluster();

    private record Sent(Bad bad, Future<RecordMetadata> at) {}

    @Test
    void everyBadRecordIsADeadLetterWithItsReasonAndEveryValidEventIsDecided(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        List<UserEvent> all = OnlineRetailEvents.load(OnlineRetailEvents.defaultFile()).events();
        Path models = temp.resolve("models");
        PersonalizationJobTest.trainServingRegistry(models, "bad-1", new DefaultModelTrainer("online_retail.csv.gz",
                30, 20, 50), all, Instant.parse("2011-09-01T00:00:00Z").toEpochMilli());
        List<UserEvent> valid = validEvents(all);

        try (EmbeddedKafka kafka = new EmbeddedKafka()) {
            // the input topic takes the multi-MB records; the job's limit (64 KiB) is what rejects them
            kafka.createTopics(2, Map.of("max.message.bytes", Integer.toString(8 << 20)), PREFIX + "events");
            kafka.createTopics(2, PREFIX + "decisions", PREFIX + "assignments", PREFIX + "dead-letters",
                    PREFIX + "audit", PREFIX + "late-events");
            List<Sent> bad = sendInterleaved(kafka, valid);

            JobSettings settings = PersonalizationJobTest.settings(kafka.bootstrapServers(), models, PREFIX,
                    Map.of("features-topic", ""));
            Configuration config = PersonalizationJob.environmentConfig(settings);
            config.set(RestartStrategyOptions.RESTART_STRATEGY, "none"); // a crash fails the job, not hidden by a restart
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
            env.setParallelism(2);
            env.enableCheckpointing(1_000);
            PersonalizationJob.defineWorkflow(env,
                    new PersonalizationJob.Sources(PersonalizationJob.kafkaSource(settings, OffsetsInitializer.latest()),
                            null),
                    PersonalizationJob.kafkaSinks(settings), settings);
            long started = System.nanoTime();
            JobExecutionResult result = env.execute("bad-input-at-scale");
            double seconds = (System.nanoTime() - started) / 1e9;

            ArchivedExecutionGraph graph = cluster.getArchivedExecutionGraph(result.getJobID()).get();
            assertThat(graph.getState()).isEqualTo(JobStatus.FINISHED);
            assertThat(graph.getFailureInfo()).as("no task ever failed").isNull();
            assertThat(graph.getStatusTimestamp(JobStatus.RESTARTING)).as("never restarted").isZero();
            assertThat(graph.getStatusTimestamp(JobStatus.FAILING)).isZero();

            List<ConsumerRecord<byte[], byte[]>> deadLetterRecords =
                    kafka.readAll(PREFIX + "dead-letters", Duration.ofSeconds(2));
            List<PersonalizationDecision> decisions = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : kafka.readAll(PREFIX + "decisions", Duration.ofSeconds(2))) {
                decisions.add(PersonalizationDecision.getDecoder().decode(record.value()));
            }

            // every valid event decided once, under the decision id the event determines
            assertThat(decisions).extracting(PersonalizationDecision::getTriggerEventId)
                    .containsExactlyInAnyOrderElementsOf(valid.stream().map(UserEvent::getEventId).toList());
            assertThat(decisions).allSatisfy(d ->
                    assertThat(d.getDecisionId()).isEqualTo(DecideAndAssign.decisionId(d.getTriggerEventId())));

            int maxBytes = settings.get(JobSettings.MAX_EVENT_BYTES);
            Map<String, Long> report = checkDeadLetters(bad, deadLetterRecords, maxBytes);
            long largest = deadLetterRecords.stream().mapToLong(BadInputAtScaleTest::size).max().orElse(0);
            var checkpoints = graph.getCheckpointStatsSnapshot();
            System.out.printf("bad input at scale: %,d valid events, %,d bad records (%,d MB) -> %,d decisions, "
                            + "%,d dead letters %s in %.1f s; largest dead letter %,d bytes (bound %,d); "
                            + "%d checkpoints, largest state %,d bytes%n",
                    valid.size(), bad.size(), bad.stream().mapToLong(s -> length(s.bad().key()) + length(s.bad().value()))
                            .sum() >> 20, decisions.size(), deadLetterRecords.size(), report, seconds, largest,
                    EventDecoder.maxDeadLetterBytes(maxBytes),
                    checkpoints.getCounts().getNumberOfCompletedCheckpoints(),
                    checkpoints.getSummaryStats().getStateSizeStats().getMaximum());
        }
    }

    /**
     * Real events the validator accepts: purchases with views and searches between them, a tenth of
     * them sent without a key (the job keys by the event's user id), and some from years before.
     */
    private static List<UserEvent> validEvents(List<UserEvent> all) {
        List<UserEvent> recent = PersonalizationJobTest.mixedEvents(all.subList(all.size() - PURCHASES, all.size()));
        List<UserEvent> valid = new ArrayList<>(recent);
        long yearsBefore = Instant.parse("2003-06-01T00:00:00Z").toEpochMilli() - all.get(0).getEventTime();
        for (int i = 0; i < YEARS_LATE; i++) {
            UserEvent old = all.get(i * 101);
            valid.add((i + 1) * recent.size() / (YEARS_LATE + 1) + i, UserEvent.newBuilder(old)
                    .setEventId("years-late-" + old.getEventId()).setEventTime(old.getEventTime() + yearsBefore).build());
        }
        assertThat(valid).allSatisfy(e -> assertThat(EventValidator.problemWith(e)).as(e.getEventId()).isEmpty());
        assertThat(valid).extracting(UserEvent::getEventId).doesNotHaveDuplicates();
        return valid;
    }

    /**
     * One bad record after every valid event, cycling through the kinds (a multi-MB one now and then),
     * a quarter of them without a key; returns the bad ones with where they landed.
     */
    private static List<Sent> sendInterleaved(EmbeddedKafka kafka, List<UserEvent> valid) throws Exception {
        Kind[] kinds = Arrays.stream(Kind.values()).filter(k -> k != Kind.HUGE).toArray(Kind[]::new);
        Random random = new Random(6);
        Properties producer = new Properties();
        producer.put("enable.idempotence", "false");
        producer.put("max.in.flight.requests.per.connection", "1");
        producer.put("max.request.size", Integer.toString(8 << 20));
        List<Sent> bad = new ArrayList<>();
        try (EventReplayer replayer = new EventReplayer(kafka.bootstrapServers(), PREFIX + "events", producer)) {
            for (int i = 0; i < valid.size(); i++) {
                UserEvent event = valid.get(i);
                replayer.send(i % 10 == 0 ? null : event.getUserId().getBytes(StandardCharsets.UTF_8),
                        MalformedRecords.encode(event));
                Kind kind = i % (valid.size() / HUGE) == valid.size() / HUGE / 2 ? Kind.HUGE : kinds[i % kinds.length];
                Bad made = MalformedRecords.make(kind, event, random);
                byte[] key = kind != Kind.OVERSIZED_KEY && random.nextInt(4) == 0 ? null : made.key();
                bad.add(new Sent(new Bad(kind, key, made.value(), made.reason()), replayer.send(key, made.value())));
            }
            replayer.flush();
        }
        assertThat(bad.stream().filter(s -> s.bad().kind() == Kind.HUGE)).hasSize(HUGE);
        return bad;
    }

    /**
     * Each dead letter is one bad record (found by topic, partition and offset) with its kind's reason,
     * its key and value (or their first maxBytes bytes and a digest), and within the size bound.
     * Returns the dead letters by reason.
     */
    private static Map<String, Long> checkDeadLetters(List<Sent> sent, List<ConsumerRecord<byte[], byte[]>> records,
            int maxBytes) throws Exception {
        Map<String, Bad> badAt = new HashMap<>();
        Map<String, Long> expectedByReason = new TreeMap<>();
        for (Sent s : sent) {
            RecordMetadata at = s.at().get();
            badAt.put(at.partition() + "/" + at.offset(), s.bad());
            expectedByReason.merge(s.bad().reason().name(), 1L, Long::sum);
        }
        Map<String, DeadLetter> deadLetterAt = new HashMap<>();
        Map<Kind, Integer> checkedByKind = new EnumMap<>(Kind.class);
        Map<String, Long> byReason = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            DeadLetter deadLetter = DeadLetter.getDecoder().decode(record.value());
            String at = deadLetter.getPartition() + "/" + deadLetter.getOffset();
            assertThat(deadLetterAt.put(at, deadLetter)).as("one dead letter per record, " + at).isNull();
            Bad bad = badAt.get(at);
            assertThat(bad).as("the dead letter at " + at + " is a bad record: " + deadLetter.getError()).isNotNull();
            String what = bad.kind() + " at " + at + ": " + deadLetter.getError();
            assertThat(deadLetter.getSourceTopic().toString()).isEqualTo(PREFIX + "events");
            assertThat(deadLetter.getReason()).as(what).isEqualTo(bad.reason());
            assertThat(deadLetter.getError().toString()).as(what).isNotBlank();
            assertThat(bytes(deadLetter.getRawKey())).as(what).isEqualTo(kept(bad.key(), maxBytes));
            assertThat(bytes(deadLetter.getRawValue())).as(what).isEqualTo(kept(bad.value(), maxBytes));
            assertThat(record.key()).as("the dead letter's own key is the (kept) original key").isEqualTo(
                    kept(bad.key(), maxBytes));
            for (byte[] cut : new byte[][] {bad.key(), bad.value()}) {
                if (cut != null && cut.length > maxBytes) {
                    assertThat(deadLetter.getError().toString()).as(what).contains(DigestUtils.sha256Hex(cut));
                }
            }
            assertThat(size(record)).as("bytes of the dead letter of " + what)
                    .isLessThanOrEqualTo(EventDecoder.maxDeadLetterBytes(maxBytes));
            checkedByKind.merge(bad.kind(), 1, Integer::sum);
            byReason.merge(deadLetter.getReason().name(), 1L, Long::sum);
        }
        assertThat(deadLetterAt.keySet()).as("every bad record has its dead letter").isEqualTo(badAt.keySet());
        assertThat(checkedByKind.keySet()).as("every kind was sent and checked").containsExactlyInAnyOrder(Kind.values());
        assertThat(byReason).isEqualTo(expectedByReason);
        return byReason;
    }

    private static byte[] kept(byte[] original, int maxBytes) {
        return original == null || original.length <= maxBytes ? original : Arrays.copyOf(original, maxBytes);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static long size(ConsumerRecord<byte[], byte[]> record) {
        return length(record.key()) + length(record.value());
    }

    private static long length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }
}
