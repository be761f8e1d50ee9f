package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.tools.DeliveryReport;
import io.personalize.jobs.tools.IdWatch;
import io.personalize.jobs.tools.SteadyInput;
import io.personalize.schema.AuditRecord;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.DecisionAudit;
import io.personalize.schema.ExperimentAssignment;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecideAndAssign;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault test in-process: the whole job in EXACTLY_ONCE mode on a RocksDB MiniCluster
 * (checkpoints every second) and a real Kafka broker, under a steady input of real events and
 * consent commands. The TaskManager is killed and a new one started; once decisions flow again the
 * broker is shut down and restarted on the same port and data. The job recovers by itself, and a
 * {@code read_committed} consumer finds every expected decision exactly once (ids compared with
 * the input), every decision's audit record once, every exposure once and every command's audit
 * record once.
 */
class FaultToleranceTest {
    private static final int EVENTS = 1_600;
    private static final double RATE = 40;
    private static final int COMMANDS = 24;
    private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(90);

    @RegisterExtension
    static final MiniClusterExtension FLINK = PersonalizationJobTest.rocksDbMiniCluster();

    @TempDir
    static Path temp;

    @Test
    void theJobRecoversFromATaskManagerKillAndABrokerRestartAndCommitsEveryDecisionExactlyOnce(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        List<UserEvent> all = OnlineRetailEvents.load(OnlineRetailEvents.defaultFile()).events();
        Path models = temp.resolve("models");
        PersonalizationJobTest.trainServingRegistry(models, "ft-1",
                new DefaultModelTrainer("online_retail.csv.gz", 30, 20, 50), all,
                Instant.parse("2011-09-01T00:00:00Z").toEpochMilli());
        List<UserEvent> events = all.subList(all.size() - EVENTS, all.size());
        List<String> expected = events.stream().map(e -> DecideAndAssign.decisionId(e.getEventId())).toList();
        List<String> optedOut = events.stream().map(UserEvent::getUserId).distinct().limit(COMMANDS).toList();

        try (EmbeddedKafka kafka = EmbeddedKafka.restartable(temp.resolve("kafka"))) {
            kafka.createTopics(2, "events", "decisions", "decision-audit", "assignments");
            kafka.createTopics(1, "control", "audit", "dead-letters", "late-events", "model-monitoring",
                    "experiment-results", "decisions-for-review");
            JobSettings settings = JobSettings.fromMap(Map.ofEntries(
                    Map.entry("bootstrap-servers", kafka.bootstrapServers()),
                    Map.entry("events-topic", "events"),
                    Map.entry("decisions-topic", "decisions"),
                    Map.entry("decision-audit-topic", "decision-audit"),
                    Map.entry("assignments-topic", "assignments"),
                    Map.entry("control-topic", "control"),
                    Map.entry("audit-topic", "audit"),
                    Map.entry("dead-letter-topic", "dead-letters"),
                    Map.entry("late-events-topic", "late-events"),
                    Map.entry("models-dir", models.toString()),
                    Map.entry("starting-offsets", "earliest"),
                    Map.entry("source-idleness", "1 s"),
                    Map.entry("delivery-guarantee", "EXACTLY_ONCE"),
                    Map.entry("transactional-id-prefix", "fault-test")));
            Configuration config = PersonalizationJob.environmentConfig(settings);
            // bounded, so that a job that cannot recover fails the test instead of restarting forever
            config.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 60);
            config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
            env.setParallelism(2);
            env.enableCheckpointing(1_000);
            PersonalizationJob.defineWorkflow(env, PersonalizationJob.sources(settings),
                    PersonalizationJob.kafkaSinks(settings), settings);
            JobClient job = env.executeAsync("fault-tolerance-it");
            try (IdWatch watch = IdWatch.decisions(kafka.bootstrapServers(), "decisions", new Properties())) {
                SteadyInput input = new SteadyInput(kafka.bootstrapServers(), "events", events, RATE);
                CompletableFuture<Void> commands = CompletableFuture.runAsync(() -> optOut(kafka, optedOut));

                awaitDecisions(watch, 200);
                cluster.terminateTaskManager(0).get();
                long killedAt = System.currentTimeMillis(); // its tasks are gone: nothing sent later reaches them
                cluster.startTaskManager(); // what a supervisor does with a dead TaskManager process
                double afterKill = recovery(input, watch, killedAt, "the TaskManager kill");

                long stoppedAt = System.currentTimeMillis();
                kafka.stop();
                Thread.sleep(3_000);
                kafka.start();
                double afterRestart = recovery(input, watch, stoppedAt, "the broker restart");
                System.out.printf("recovery: %.1f s after the TaskManager kill, %.1f s after the broker stopped "
                        + "(3 s down); %d of %d decisions committed by then%n", afterKill, afterRestart,
                        watch.distinct(), EVENTS);

                input.await(Duration.ofMinutes(3));
                assertThat(input.lastSentAt()).as("the input still flowed after the last fault").isGreaterThan(stoppedAt);
                commands.get(1, TimeUnit.MINUTES);
                assertThat(watch.awaitAll(expected, Duration.ofSeconds(3), Duration.ofMinutes(2)))
                        .as("every decision committed: " + watch.report(expected).describe()).isTrue();
            } finally {
                job.cancel().get();
            }

            // the input itself went in exactly once (else a loss or duplicate below is not the job's)
            assertThat(idsOn(kafka, "events", r -> UserEvent.getDecoder().decode(r).getEventId()))
                    .containsExactlyInAnyOrderElementsOf(events.stream().map(UserEvent::getEventId).toList());

            // a fresh read_committed consumer: each expected decision once, nothing else
            DeliveryReport decisions = DeliveryReport.of(expected, counts(idsOn(kafka, "decisions",
                    r -> io.personalize.schema.PersonalizationDecision.getDecoder().decode(r).getDecisionId())));
            assertThat(decisions.exactlyOnce()).as(decisions.describe()).isTrue();
            DeliveryReport audits = DeliveryReport.of(expected, counts(idsOn(kafka, "decision-audit",
                    r -> DecisionAudit.getDecoder().decode(r).getDecisionId())));
            assertThat(audits.exactlyOnce()).as("decision audit: " + audits.describe()).isTrue();

            // one exposure per user at most (replayed first events must not expose twice)
            List<String> exposed = idsOn(kafka, "assignments", r -> ExperimentAssignment.getDecoder().decode(r).getUserId());
            assertThat(exposed).doesNotHaveDuplicates()
                    .isSubsetOf(events.stream().map(UserEvent::getUserId).distinct().toList());
            assertThat(exposed.size()).isGreaterThanOrEqualTo(
                    (int) events.stream().map(UserEvent::getUserId).distinct().count() - COMMANDS);

            // every consent command audited once
            List<String> consent = idsOn(kafka, "audit", r -> {
                AuditRecord a = AuditRecord.getDecoder().decode(r);
                return a.getKind() + "/" + a.getRequestId();
            });
            assertThat(consent).containsExactlyInAnyOrderElementsOf(
                    java.util.stream.IntStream.range(0, COMMANDS)
                            .mapToObj(i -> DecideAndAssign.CONSENT_CHANGED + "/fault-test-opt-out-" + i).toList());
        }
    }

    /** Seconds from {@code faultAt} until the decision of an event sent after it is committed. */
    private static double recovery(SteadyInput input, IdWatch watch, long faultAt, String fault)
            throws InterruptedException {
        long deadline = faultAt + RECOVERY_LIMIT.toMillis();
        while (System.currentTimeMillis() < deadline) {
            double seconds = input.recoverySeconds(watch, faultAt);
            if (!Double.isNaN(seconds)) {
                return seconds;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no new decision committed within " + RECOVERY_LIMIT + " of " + fault);
    }

    private static void awaitDecisions(IdWatch watch, int count) throws InterruptedException {
        long deadline = System.currentTimeMillis() + RECOVERY_LIMIT.toMillis();
        while (watch.distinct() < count) {
            assertThat(System.currentTimeMillis()).as("%d decisions committed", count).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** One OPT_OUT per user, two per second, beside the events. */
    private static void optOut(EmbeddedKafka kafka, List<String> users) {
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("enable.idempotence", "true");
        props.put("delivery.timeout.ms", "180000");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < users.size(); i++) {
                ByteBuffer value = ControlEvent.newBuilder().setRequestId("fault-test-opt-out-" + i)
                        .setCommand(ControlCommand.OPT_OUT).setUserId(users.get(i)).setRequestedBy("test")
                        .setRequestedAt(System.currentTimeMillis()).build().toByteBuffer();
                byte[] bytes = new byte[value.remaining()];
                value.get(bytes);
                producer.send(new ProducerRecord<>("control", users.get(i).getBytes(StandardCharsets.UTF_8), bytes));
                Thread.sleep(500);
            }
            producer.flush();
        } catch (Exception e) {
            throw new IllegalStateException("the commands could not be sent", e);
        }
    }

    interface Decode {
        String id(byte[] value) throws Exception;
    }

    private static List<String> idsOn(EmbeddedKafka kafka, String topic, Decode decode) throws Exception {
        List<String> ids = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : kafka.readAll(topic, Duration.ofSeconds(2))) {
            ids.add(decode.id(record.value()));
        }
        return ids;
    }

    private static Map<String, Integer> counts(List<String> ids) {
        Map<String, Integer> counts = new HashMap<>();
        ids.forEach(id -> counts.merge(id, 1, Integer::sum));
        return counts;
    }
}
