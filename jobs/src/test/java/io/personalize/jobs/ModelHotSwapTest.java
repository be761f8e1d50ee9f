package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.tools.EventReplayer;
import io.personalize.schema.AuditRecord;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.ModelMonitoring;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.model.DeployModels;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
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
 * A running job (MiniCluster with RocksDB, real Kafka) switches a model version on a control
 * command without a restart, refuses a corrupt one, keeps the switch through a TaskManager failure,
 * and reports drift on the monitoring topic.
 */
class ModelHotSwapTest {
    private static final int PHASE = 150;

    @RegisterExtension
    static final MiniClusterExtension FLINK = PersonalizationJobTest.rocksDbMiniCluster();

    @TempDir
    static Path temp;

    @Test
    void aControlCommandSwitchesTheModelWithoutARestartAndTheSwitchSurvivesAFailover(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        List<UserEvent> all = OnlineRetailEvents.load(OnlineRetailEvents.defaultFile()).events();
        long cut = Instant.parse("2011-09-01T00:00:00Z").toEpochMilli();
        Path models = temp.resolve("models");
        DefaultModelTrainer trainer = new DefaultModelTrainer("online_retail.csv.gz", 30, 20, 50);
        PersonalizationJobTest.trainServingRegistry(models, "v1", trainer, all, cut);
        Path candidates = temp.resolve("candidates");
        new DefaultModelTrainer("online_retail.csv.gz", 14, 20, 50).trainPropensity(new ModelRegistry(candidates), "v2",
                all, cut);
        Path v2 = candidates.resolve(DecisionPolicy.PROPENSITY_MODEL).resolve("v2");
        String v2Sha = ModelRegistry.loadAt(v2, DecisionPolicy.PROPENSITY_MODEL, "v2", null, null).metadata().sha256;
        Path corrupt = Files.createDirectories(temp.resolve("corrupt").resolve("v3"));
        for (Path file : Files.list(v2).toList()) {
            Files.copy(file, corrupt.resolve(file.getFileName()));
        }
        Files.writeString(corrupt.resolve("metadata.json"),
                Files.readString(corrupt.resolve("metadata.json")).replace("\"version\" : \"v2\"", "\"version\" : \"v3\""));
        Path corruptModel = corrupt.resolve("propensity.json");
        Files.writeString(corruptModel, Files.readString(corruptModel).replaceFirst("\\d", "7"));

        List<UserEvent> events = all.subList(all.size() - 3 * PHASE, all.size());
        try (EmbeddedKafka kafka = new EmbeddedKafka()) {
            kafka.createTopics(2, "events", "decisions", "assignments", "dead-letters", "control", "audit",
                    "late-events", "monitoring");
            Map<String, String> values = new HashMap<>(Map.of("bootstrap-servers", kafka.bootstrapServers(),
                    "events-topic", "events", "decisions-topic", "decisions", "assignments-topic", "assignments",
                    "dead-letter-topic", "dead-letters", "control-topic", "control", "audit-topic", "audit",
                    "late-events-topic", "late-events", "monitoring-topic", "monitoring"));
            values.put("models-dir", models.toString());
            values.put("starting-offsets", "earliest");
            values.put("source-idleness", "1 s");
            values.put("model-report-interval", "1 s");
            JobSettings settings = JobSettings.fromMap(values);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(PersonalizationJob.environmentConfig(settings));
            env.setParallelism(2);
            env.enableCheckpointing(500);
            PersonalizationJob.defineWorkflow(env, PersonalizationJob.sources(settings),
                    PersonalizationJob.kafkaSinks(settings), settings);
            JobClient job = env.executeAsync("model-hot-swap-it");
            try {
                replay(kafka, events.subList(0, PHASE));
                Map<String, String> propensityVersion = awaitDecisions(kafka, PHASE);
                assertThat(propensityVersion.values()).containsOnly("v1");

                sendControl(kafka, "deploy-corrupt", ControlCommand.DEPLOY_MODEL, "v3", corrupt, v2Sha);
                sendControl(kafka, "deploy-v2", ControlCommand.DEPLOY_MODEL, "v2", v2, v2Sha);
                List<AuditRecord> audit = await(() -> decode(kafka, "audit", AuditRecord.getDecoder()::decode),
                        a -> a.size() >= 2, "two audit records");
                Map<String, AuditRecord> byRequest = new HashMap<>();
                audit.forEach(a -> byRequest.put(a.getRequestId(), a));
                assertThat(byRequest.get("deploy-corrupt").getKind()).isEqualTo(DeployModels.MODEL_REJECTED);
                assertThat(byRequest.get("deploy-corrupt").getDetail()).contains("checksum");
                assertThat(byRequest.get("deploy-v2").getKind()).isEqualTo(DeployModels.MODEL_DEPLOYED);

                replay(kafka, events.subList(PHASE, 2 * PHASE));
                propensityVersion = awaitDecisions(kafka, 2 * PHASE);
                for (UserEvent e : events.subList(PHASE, 2 * PHASE)) {
                    assertThat(propensityVersion.get(e.getEventId())).as("after the switch, no restart").isEqualTo("v2");
                }

                cluster.terminateTaskManager(0).get();
                cluster.startTaskManager();
                replay(kafka, events.subList(2 * PHASE, 3 * PHASE));
                propensityVersion = awaitDecisions(kafka, 3 * PHASE);
                for (UserEvent e : events.subList(2 * PHASE, 3 * PHASE)) {
                    assertThat(propensityVersion.get(e.getEventId())).as("after the failover").isEqualTo("v2");
                }

                // reports ride on scoring requests: a few more events once a report interval has passed
                Thread.sleep(1_500);
                replay(kafka, all.subList(all.size() - 3 * PHASE - 20, all.size() - 3 * PHASE));
                List<ModelMonitoring> reports = await(() -> decode(kafka, "monitoring",
                        ModelMonitoring.getDecoder()::decode), r -> r.stream().anyMatch(m -> m.getVersion().equals("v2")
                                && m.getModel().equals(DecisionPolicy.PROPENSITY_MODEL)), "a monitoring report of v2");
                assertThat(reports).filteredOn(m -> m.getModel().equals(DecisionPolicy.PROPENSITY_MODEL))
                        .extracting(ModelMonitoring::getVersion).contains("v1", "v2");
                assertThat(reports).allSatisfy(m -> assertThat(m.getRequests()).isPositive());
            } finally {
                job.cancel().get();
            }
        }
    }

    private static void replay(EmbeddedKafka kafka, List<UserEvent> events) throws Exception {
        Properties producer = new Properties();
        producer.put("enable.idempotence", "false");
        producer.put("max.in.flight.requests.per.connection", "1");
        try (EventReplayer replayer = new EventReplayer(kafka.bootstrapServers(), "events", producer)) {
            replayer.replay(events, 0, 0, 1, null);
        }
    }

    private static void sendControl(EmbeddedKafka kafka, String requestId, ControlCommand command, String version,
            Path location, String sha256) throws Exception {
        ControlEvent control = ControlEvent.newBuilder().setRequestId(requestId).setCommand(command)
                .setModelName(DecisionPolicy.PROPENSITY_MODEL).setModelVersion(version)
                .setModelLocation(location.toString()).setModelSha256(sha256).setRequestedBy("test")
                .setRequestedAt(System.currentTimeMillis()).build();
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            ByteBuffer value = control.toByteBuffer();
            byte[] bytes = new byte[value.remaining()];
            value.get(bytes);
            producer.send(new ProducerRecord<>("control", DecisionPolicy.PROPENSITY_MODEL.getBytes(StandardCharsets.UTF_8),
                    bytes)).get();
        }
    }

    /** The propensity version of each decided event (duplicates after the failover agree), once all are there. */
    private static Map<String, String> awaitDecisions(EmbeddedKafka kafka, int events) throws Exception {
        List<PersonalizationDecision> decisions = await(() -> decode(kafka, "decisions",
                PersonalizationDecision.getDecoder()::decode),
                d -> d.stream().map(PersonalizationDecision::getTriggerEventId).distinct().count() >= events,
                events + " decided events");
        Map<String, String> version = new HashMap<>();
        for (PersonalizationDecision d : decisions) {
            d.getModelScores().stream().filter(m -> m.getModel().equals(DecisionPolicy.PROPENSITY_MODEL))
                    .forEach(m -> version.merge(d.getTriggerEventId(), m.getVersion(),
                            (a, b) -> a.equals(b) ? a : a + "|" + b));
        }
        return version;
    }

    interface Decoder<T> {
        T decode(byte[] bytes) throws Exception;
    }

    private static <T> List<T> decode(EmbeddedKafka kafka, String topic, Decoder<T> decoder) throws Exception {
        List<T> out = new java.util.ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(topic, Duration.ofMillis(700))) {
            out.add(decoder.decode(r.value()));
        }
        return out;
    }

    interface Read<T> {
        List<T> read() throws Exception;
    }

    private static <T> List<T> await(Read<T> read, Predicate<List<T>> done, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        List<T> last = List.of();
        while (System.nanoTime() < deadline) {
            last = read.read();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no " + what + " within 120 s; last read " + last.size() + " records");
    }
}
