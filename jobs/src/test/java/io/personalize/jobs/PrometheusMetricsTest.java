package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.tools.EventReplayer;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The job's own metrics reach Flink's Prometheus reporter while it runs. */
class PrometheusMetricsTest {
    private static final int PROMETHEUS_PORT = 9271;
    private static final int EVENTS = 500;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(1)
            .setConfiguration(prometheus())
            .build());

    @TempDir
    static Path temp;

    private static Configuration prometheus() {
        return Configuration.fromMap(Map.of(
                "metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                "metrics.reporter.prom.port", Integer.toString(PROMETHEUS_PORT),
                "state.backend.type", "rocksdb"));
    }

    @Test
    void eventsDecisionsAndDeadLettersAreScrapedByPrometheus() throws Exception {
        List<UserEvent> all = OnlineRetailEvents.load(OnlineRetailEvents.defaultFile()).events();
        Path models = temp.resolve("models");
        DefaultModelTrainer trainer = new DefaultModelTrainer("online_retail.csv.gz", 30, 20, 50);
        long cut = Instant.parse("2011-09-01T00:00:00Z").toEpochMilli();
        PersonalizationJobTest.trainServingRegistry(models, "m-1", trainer, all, cut);

        try (EmbeddedKafka kafka = new EmbeddedKafka()) {
            kafka.createTopics(1, "events", "decisions", "assignments", "dead-letters", "audit", "late-events");
            Properties producer = new Properties();
            producer.put("enable.idempotence", "false");
            producer.put("max.in.flight.requests.per.connection", "1");
            try (EventReplayer replayer = new EventReplayer(kafka.bootstrapServers(), "events", producer)) {
                replayer.replay(all.subList(0, EVENTS), 0, 100, 3, null);
            }
            JobSettings settings = JobSettings.fromMap(Map.of("bootstrap-servers", kafka.bootstrapServers(),
                    "events-topic", "events", "decisions-topic", "decisions", "assignments-topic", "assignments",
                    "dead-letter-topic", "dead-letters", "models-dir", models.toString(),
                    "starting-offsets", "earliest"));
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(PersonalizationJob.environmentConfig(settings));
            env.setParallelism(1);
            PersonalizationJob.defineWorkflow(env, new PersonalizationJob.Sources(PersonalizationJob.kafkaSource(settings), null),
                    PersonalizationJob.kafkaSinks(settings), settings);
            JobClient job = env.executeAsync("metrics-it");
            try {
                String scrape = "";
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                HttpClient http = HttpClient.newHttpClient();
                while (System.nanoTime() < deadline) {
                    scrape = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + PROMETHEUS_PORT + "/metrics"))
                            .build(), HttpResponse.BodyHandlers.ofString()).body();
                    if (sum(scrape, "eventType_eventsIn") >= EVENTS && sum(scrape, "action_decisions") >= EVENTS) {
                        break;
                    }
                    Thread.sleep(500);
                }
                assertThat(sum(scrape, "eventType_eventsIn")).isEqualTo(EVENTS);
                assertThat(sum(scrape, "action_decisions")).isEqualTo(EVENTS);
                assertThat(sum(scrape, "reason_deadLetters")).isEqualTo(EVENTS / 100);
                assertThat(sum(scrape, "exposures")).isPositive();
                assertThat(scrape).contains("model_latencyMicros").contains("model_batchSize");
                assertThat(sum(scrape, "model_timeouts")).isZero();
            } finally {
                job.cancel().get();
            }
        }
    }

    /** Sum over every series of the metrics whose name ends with the suffix. */
    private static double sum(String scrape, String suffix) {
        Matcher m = Pattern.compile("^flink_taskmanager_job_task_operator_\\w*" + suffix + "(?:_total)?\\{[^}]*\\} (\\S+)$",
                Pattern.MULTILINE).matcher(scrape);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }
}
