package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.tools.EventReplayer;
import io.personalize.jobs.tools.SchemaFileDecoder;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.experiment.Experiment;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole DAG on a Flink MiniCluster with RocksDB, reading and writing a real in-JVM Kafka
 * broker: real Online Retail events with malformed records mixed in, a model trained from the same
 * data, and every output record decoded with the .avsc files alone.
 */
class PersonalizationJobTest {
    private static final int EVENTS = 3_000;
    private static final int MALFORMED_EVERY = 50;

    @TempDir
    static Path temp;

    @RegisterExtension
    static final MiniClusterExtension FLINK = rocksDbMiniCluster();

    /**
     * The registry the end-to-end tests serve from: propensity and popularity trained before the cut,
     * the approved catalog of Online Retail and the shipped safety screen (without those two every
     * decision fails closed). The other models are absent, so their scorers answer UNAVAILABLE.
     */
    static void trainServingRegistry(Path models, String version, DefaultModelTrainer trainer, List<UserEvent> all,
            long cut) throws Exception {
        ModelRegistry registry = new ModelRegistry(models);
        trainer.trainPropensity(registry, version, all, cut);
        trainer.publishPopularity(registry, version, all, cut);
        io.personalize.udfs.catalog.CatalogBuilder.publish(registry, version, "online_retail.csv.gz",
                io.personalize.udfs.catalog.CatalogBuilder.read(OnlineRetailEvents.defaultFile()).build());
        io.personalize.udfs.catalog.SafetyScreen.publish(registry, version,
                io.personalize.udfs.catalog.SafetyScreen.shippedTerms(), "shipped");
    }

    /** One TaskManager with two slots and RocksDB: what the end-to-end tests run on. */
    static MiniClusterExtension rocksDbMiniCluster() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .setConfiguration(rocksDb())
                .build());
    }

    private static EmbeddedKafka kafka;

    static Configuration rocksDb() {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "file://" + System.getProperty("java.io.tmpdir")
                + "/personalize-it-checkpoints");
        return config;
    }

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = new EmbeddedKafka();
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    private static List<UserEvent> all;
    private static Path models;

    private static synchronized void trainOnce() throws Exception {
        if (models == null) {
            all = OnlineRetailEvents.load(OnlineRetailEvents.defaultFile()).events();
            Path dir = temp.resolve("models");
            DefaultModelTrainer trainer = new DefaultModelTrainer("online_retail.csv.gz", 30, 40, 100);
            long cut = Instant.parse("2011-09-01T00:00:00Z").toEpochMilli();
            trainServingRegistry(dir, "it-1", trainer, all, cut);
            models = dir;
        }
    }

    @Test
    void decidesEveryValidEventAndDeadLettersTheRest() throws Exception {
        runAndCheck("alo-", "AT_LEAST_ONCE");
    }

    @Test
    void exactlyOnceModeCommitsEveryDecisionOnceForReadCommittedConsumers() throws Exception {
        runAndCheck("eo-", "EXACTLY_ONCE");
    }

    private void runAndCheck(String prefix, String deliveryGuarantee) throws Exception {
        trainOnce();
        kafka.createTopics(2, prefix + "events", prefix + "decisions", prefix + "assignments", prefix + "dead-letters",
                prefix + "audit", prefix + "late-events");
        List<UserEvent> events = all.subList(all.size() - EVENTS, all.size()); // after the cut: unseen by training
        long malformed;
        Map<String, Long> malformedByReason = new HashMap<>();
        // Seen here: the idempotent producer's sequence numbers occasionally went out of step with the
        // in-JVM broker on a freshly created topic (OutOfOrderSequenceException, then a 120 s expiry).
        // One request in flight keeps the order; the exact counts below would catch a duplicate.
        Properties producer = new Properties();
        producer.put("enable.idempotence", "false");
        producer.put("max.in.flight.requests.per.connection", "1");
        try (EventReplayer replayer = new EventReplayer(kafka.bootstrapServers(), prefix + "events", producer)) {
            replayer.replay(events, 0, MALFORMED_EVERY, 7, null);
            malformed = replayer.malformedSent();
            replayer.malformedByReason().forEach((reason, count) -> malformedByReason.put(reason.name(), count));
        }
        assertThat(malformed).isEqualTo(EVENTS / MALFORMED_EVERY);

        JobSettings settings = JobSettings.fromMap(Map.ofEntries(
                Map.entry("bootstrap-servers", kafka.bootstrapServers()),
                Map.entry("events-topic", prefix + "events"),
                Map.entry("decisions-topic", prefix + "decisions"),
                Map.entry("assignments-topic", prefix + "assignments"),
                Map.entry("dead-letter-topic", prefix + "dead-letters"),
                Map.entry("audit-topic", prefix + "audit"),
                Map.entry("late-events-topic", prefix + "late-events"),
                Map.entry("models-dir", models.toString()),
                Map.entry("starting-offsets", "earliest"),
                Map.entry("source-idleness", "1 s"),
                Map.entry("delivery-guarantee", deliveryGuarantee),
                Map.entry("group-id", prefix + "personalize"),
                Map.entry("transactional-id-prefix", prefix + "it")));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(PersonalizationJob.environmentConfig(settings));
        env.setParallelism(2);
        env.enableCheckpointing(1_000);
        PersonalizationJob.defineWorkflow(env,
                new PersonalizationJob.Sources(PersonalizationJob.kafkaSource(settings, OffsetsInitializer.latest()), null),
                PersonalizationJob.kafkaSinks(settings), settings);
        env.execute("personalization-it-" + deliveryGuarantee);

        SchemaFileDecoder decoder = new SchemaFileDecoder(Path.of(System.getProperty("repo.dir"), "schemas/src/main/avro"));
        List<GenericRecord> decisions = decodeAll(decoder, kafka.readAll(prefix + "decisions", Duration.ofSeconds(3)));
        List<GenericRecord> assignments = decodeAll(decoder, kafka.readAll(prefix + "assignments", Duration.ofSeconds(2)));
        List<ConsumerRecord<byte[], byte[]>> deadLetterRecords = kafka.readAll(prefix + "dead-letters", Duration.ofSeconds(2));
        List<GenericRecord> deadLetters = decodeAll(decoder, deadLetterRecords);

        // every valid event decided exactly once (without failures at-least-once delivers once too);
        // the consumer reads read_committed, so in EXACTLY_ONCE mode only committed transactions count
        assertThat(decisions).hasSize(EVENTS);
        assertThat(decisions).extracting(d -> d.get("triggerEventId").toString())
                .containsExactlyInAnyOrderElementsOf(events.stream().map(UserEvent::getEventId).toList());
        assertThat(decisions).allSatisfy(d -> {
            assertThat(d.getSchema().getName()).isEqualTo("PersonalizationDecision");
            assertThat((List<?>) d.get("items")).isNotEmpty();
            assertThat((List<?>) d.get("reasons")).isNotEmpty();
            assertThat(d.get("fallback")).isEqualTo(false);
        });
        Set<String> modelVersions = decisions.stream()
                .flatMap(d -> ((List<?>) d.get("modelScores")).stream())
                .map(m -> ((GenericRecord) m).get("model") + "/" + ((GenericRecord) m).get("version"))
                .collect(Collectors.toSet());
        assertThat(modelVersions).contains("propensity/it-1", "popularity/it-1");

        // one exposure per user, in the variant GrowthBook's hashing gives
        Set<String> users = events.stream().map(UserEvent::getUserId).collect(Collectors.toSet());
        Experiment experiment = settings.experiment();
        assertThat(assignments).extracting(a -> a.get("userId").toString())
                .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(users);
        assertThat(assignments).allSatisfy(a -> assertThat(a.get("variant").toString())
                .isEqualTo(experiment.variations().get(experiment.assign(a.get("userId").toString()))));
        Map<String, String> variantOfUser = new HashMap<>();
        assignments.forEach(a -> variantOfUser.put(a.get("userId").toString(), a.get("variant").toString()));
        assertThat(decisions).allSatisfy(d -> assertThat(d.get("variant").toString())
                .isEqualTo(variantOfUser.get(d.get("userId").toString())));
        assertThat(new HashSet<>(variantOfUser.values())).containsExactlyInAnyOrder("control", "personalized");

        // every malformed record on the dead-letter topic, with its reason and original bytes
        assertThat(deadLetters).hasSize((int) malformed);
        assertThat(deadLetters.stream().collect(Collectors.groupingBy(d -> d.get("reason").toString(),
                Collectors.counting()))).isEqualTo(malformedByReason);
        assertThat(deadLetters).allSatisfy(d -> {
            assertThat(d.get("sourceTopic").toString()).isEqualTo(prefix + "events");
            assertThat(d.get("error").toString()).isNotBlank();
        });
        for (int i = 0; i < deadLetters.size(); i++) {
            java.nio.ByteBuffer rawKey = ((java.nio.ByteBuffer) deadLetters.get(i).get("rawKey")).duplicate();
            byte[] key = new byte[rawKey.remaining()];
            rawKey.get(key);
            assertThat(deadLetterRecords.get(i).key()).as("a dead letter keeps the original key").isEqualTo(key);
        }
    }

    /** Real purchases, plus a categorised view before every third one and a search now and then. */
    static List<UserEvent> mixedEvents(List<UserEvent> purchases) {
        List<UserEvent> out = new java.util.ArrayList<>();
        for (UserEvent p : purchases) {
            String category = p.getItemId().substring(0, Math.min(3, p.getItemId().length()));
            if (out.size() % 3 == 0) {
                out.add(UserEvent.newBuilder().setEventId("view-" + p.getEventId()).setUserId(p.getUserId())
                        .setEventType(io.personalize.schema.EventType.VIEW).setEventTime(p.getEventTime() - 60_000)
                        .setItemId(p.getItemId()).setCategory(category).build());
            }
            if (out.size() % 10 == 0) {
                out.add(UserEvent.newBuilder().setEventId("search-" + p.getEventId()).setUserId(p.getUserId())
                        .setEventType(io.personalize.schema.EventType.SEARCH).setEventTime(p.getEventTime() - 30_000)
                        .setText("red retrospot " + p.getItemId()).build());
            }
            out.add(UserEvent.newBuilder(p).setCategory(category).build());
        }
        return out;
    }

    private JobSettings settings(String prefix, Map<String, String> more) {
        return settings(kafka.bootstrapServers(), models, prefix, more);
    }

    /** A Kafka run reading {@code prefix}events from the earliest offset and writing {@code prefix}<output> topics. */
    static JobSettings settings(String bootstrapServers, Path models, String prefix, Map<String, String> more) {
        Map<String, String> values = new HashMap<>(Map.of(
                "bootstrap-servers", bootstrapServers,
                "events-topic", prefix + "events",
                "decisions-topic", prefix + "decisions",
                "assignments-topic", prefix + "assignments",
                "dead-letter-topic", prefix + "dead-letters",
                "audit-topic", prefix + "audit",
                "late-events-topic", prefix + "late-events",
                "features-topic", prefix + "features",
                "models-dir", models.toString(),
                "group-id", prefix + "personalize"));
        values.put("starting-offsets", "earliest");
        values.put("source-idleness", "1 s");
        values.putAll(more);
        return JobSettings.fromMap(values);
    }

    private Map<String, Map<String, Float>> servedFeatures(String topic) throws Exception {
        Map<String, Map<String, Float>> byEvent = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : kafka.readAll(topic, Duration.ofSeconds(3))) {
            io.personalize.schema.FeatureSnapshot snapshot =
                    io.personalize.schema.FeatureSnapshot.getDecoder().decode(record.value());
            assertThat(byEvent.put(snapshot.getEventId(), snapshot.getFeatures())).as("one snapshot per event").isNull();
        }
        return byEvent;
    }

    @Test
    void theStreamTheEventFilesAndTheTrainingCodeComputeTheSameFeatures() throws Exception {
        trainOnce();
        List<UserEvent> events = mixedEvents(all.subList(all.size() - 1_500, all.size()));
        String[] outputs = {"decisions", "assignments", "dead-letters", "audit", "late-events", "features"};
        for (String prefix : List.of("parity-stream-", "parity-files-")) {
            kafka.createTopics(2, java.util.Arrays.stream(outputs).map(o -> prefix + o).toArray(String[]::new));
        }
        kafka.createTopics(2, "parity-stream-events");

        // offline: the code the model training and backtests use
        Map<String, float[]> offline = new HashMap<>();
        io.personalize.udfs.training.OfflineFeatures.replay(events,
                (i, e, features, vector) -> offline.put(e.getEventId(), vector));

        // online: the streaming job reading Kafka
        Properties producer = new Properties();
        producer.put("enable.idempotence", "false");
        producer.put("max.in.flight.requests.per.connection", "1");
        try (EventReplayer replayer = new EventReplayer(kafka.bootstrapServers(), "parity-stream-events", producer)) {
            replayer.replay(events, 0, 0, 0, null);
        }
        JobSettings stream = settings("parity-stream-", Map.of());
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(PersonalizationJob.environmentConfig(stream));
        env.setParallelism(2);
        PersonalizationJob.defineWorkflow(env,
                new PersonalizationJob.Sources(PersonalizationJob.kafkaSource(stream, OffsetsInitializer.latest()), null),
                PersonalizationJob.kafkaSinks(stream), stream);
        env.execute("parity-stream");

        // bounded: the same job over an Avro container file of the same events (a backfill)
        Path file = temp.resolve("parity-events.avro");
        try (var writer = new org.apache.avro.file.DataFileWriter<>(
                new org.apache.avro.specific.SpecificDatumWriter<>(UserEvent.class))) {
            writer.create(UserEvent.getClassSchema(), file.toFile());
            for (UserEvent e : events) {
                writer.append(e);
            }
        }
        JobSettings files = settings("parity-files-", Map.of("input-files", file.toString()));
        env = StreamExecutionEnvironment.getExecutionEnvironment(PersonalizationJob.environmentConfig(files));
        env.setParallelism(2);
        PersonalizationJob.defineWorkflow(env, PersonalizationJob.sources(files), PersonalizationJob.kafkaSinks(files), files);
        env.execute("parity-files");

        Map<String, Map<String, Float>> online = servedFeatures("parity-stream-features");
        Map<String, Map<String, Float>> backfill = servedFeatures("parity-files-features");
        assertThat(online.keySet()).hasSize(events.size()).isEqualTo(offline.keySet());
        assertThat(backfill.keySet()).isEqualTo(offline.keySet());
        int compared = 0;
        for (UserEvent e : events) {
            float[] expected = offline.get(e.getEventId());
            for (int i = 0; i < expected.length; i++) {
                String name = io.personalize.udfs.features.FeatureVector.NAMES.get(i);
                assertThat(online.get(e.getEventId()).get(name)).as(e.getEventId() + " " + name + " online")
                        .isEqualTo(expected[i]);
                assertThat(backfill.get(e.getEventId()).get(name)).as(e.getEventId() + " " + name + " from files")
                        .isEqualTo(expected[i]);
                compared++;
            }
        }
        assertThat(compared).isEqualTo(events.size() * io.personalize.udfs.features.FeatureVector.SIZE);
        assertThat(kafka.readAll("parity-files-decisions", Duration.ofSeconds(2))).hasSize(events.size());
    }

    private static List<GenericRecord> decodeAll(SchemaFileDecoder decoder, List<ConsumerRecord<byte[], byte[]>> records)
            throws Exception {
        List<GenericRecord> out = new java.util.ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            out.add(decoder.decode(record.value()));
        }
        return out;
    }

}
