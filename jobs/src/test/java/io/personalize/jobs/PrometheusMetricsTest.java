package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.tools.EventReplayer;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's own metrics reach Flink's Prometheus reporter while it runs, and the Grafana dashboard
 * queries only series that the reporter exports.
 */
class PrometheusMetricsTest {
    private static final int PROMETHEUS_PORT = 9271;
    private static final int EVENTS = 500;
    private static final String OPERATOR = "flink_taskmanager_job_task_operator_";

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
            env.enableCheckpointing(1000); // the JobManager's checkpoint metrics, as on a cluster
            JobClient job = env.executeAsync("metrics-it");
            PrometheusScrape scrape;
            try {
                scrape = scrapeUntilDecided();
            } finally {
                job.cancel().get();
            }
            assertThat(scrape.sum(OPERATOR + "eventType_eventsIn")).isEqualTo(EVENTS);
            assertThat(scrape.sum(OPERATOR + "action_decisions")).isEqualTo(EVENTS);
            assertThat(scrape.sum(OPERATOR + "reason_deadLetters")).isEqualTo(EVENTS / 100);
            assertThat(scrape.sum(OPERATOR + "exposures")).isPositive();
            assertThat(scrape.names()).contains(OPERATOR + "model_latencyMicros", OPERATOR + "model_batchSize");
            assertThat(scrape.sum(OPERATOR + "model_timeouts")).isZero();
            // one series per fallback reason, from the start; together they count every fallback
            assertThat(scrape.labelValues(OPERATOR + "fallbackReason_fallbackDecisions", "fallbackReason"))
                    .containsExactlyInAnyOrderElementsOf(
                            Arrays.stream(DecisionPolicy.Fallback.values()).map(Enum::name).toList());
            assertThat(scrape.sum(OPERATOR + "fallbackReason_fallbackDecisions"))
                    .isEqualTo(scrape.sum(OPERATOR + "fallbackDecisions"));
            assertDashboardReadsOnlyExportedSeries(scrape);
        }
    }

    /** Scrapes until every event is decided and a checkpoint completed; the last scrape. */
    private static PrometheusScrape scrapeUntilDecided() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            PrometheusScrape scrape = new PrometheusScrape(http.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + PROMETHEUS_PORT + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            boolean done = scrape.sum(OPERATOR + "eventType_eventsIn") >= EVENTS
                    && scrape.sum(OPERATOR + "action_decisions") >= EVENTS
                    && scrape.sum("flink_jobmanager_job_numberOfCompletedCheckpoints") >= 1;
            if (done || System.nanoTime() > deadline) {
                return scrape;
            }
            Thread.sleep(500);
        }
    }

    /**
     * Every series the Grafana dashboard (docker/grafana/dashboards/) queries is one this job exports
     * through the reporter, with the label values it selects on and the labels it groups by or prints.
     * A MiniCluster reports the JobManager's metrics (checkpoints, restarts, JVM) through the same
     * reporter as the TaskManager's, so the cluster-level series are checked too.
     */
    private static void assertDashboardReadsOnlyExportedSeries(PrometheusScrape scrape) throws Exception {
        GrafanaDashboard dashboard = new GrafanaDashboard(GrafanaDashboard.PERSONALIZE);
        assertThat(dashboard.queries).hasSizeGreaterThan(20);
        assertThat(dashboard.metrics()).isNotEmpty();
        assertThat(dashboard.metrics().stream()
                .filter(metric -> !scrape.names().contains(metric)))
                .as("metrics the dashboard reads that the running job does not export").isEmpty();
        for (GrafanaDashboard.Query query : dashboard.queries) {
            for (String[] matcher : query.equalityMatchers()) {
                assertThat(scrape.labelValues(matcher[0], matcher[1])).as("%s: %s", query.panel(), query.expr())
                        .contains(matcher[2]);
            }
            for (String metric : query.metrics()) {
                for (String label : query.labelsUsed()) {
                    assertThat(scrape.labelValues(metric, label)).as("%s: label %s of %s", query.panel(), label, metric)
                            .isNotEmpty();
                }
            }
        }
    }
}
