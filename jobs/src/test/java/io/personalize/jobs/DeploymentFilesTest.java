package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.junit.jupiter.api.Test;
import org.rocksdb.CompressionType;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The deployment files agree with each other: the compose stack (Flink's Prometheus reporter,
 * Prometheus scraping it, Grafana provisioned with the dashboard), the Kubernetes FlinkDeployment
 * and the job image, and the Flink configuration profiles, each parsed as its tool parses it.
 */
class DeploymentFilesTest {
    private static final Path DOCKER = Path.of("..", "docker");
    private static final String PROMETHEUS_REPORTER = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(Path file) throws IOException {
        return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Map<String, Object> map, String... path) {
        Object node = map;
        for (String key : path) {
            assertThat(node).as("parent of %s", key).isInstanceOf(Map.class);
            node = ((Map<String, Object>) node).get(key);
            assertThat(node).as(String.join(".", path)).isNotNull();
        }
        return (T) node;
    }

    /** The Flink settings every container of the compose file gets (FLINK_PROPERTIES, one "key: value" a line). */
    private static Map<String, String> composeFlinkProperties(Map<String, Object> compose) {
        Map<String, String> properties = new HashMap<>();
        for (String line : at(compose, "x-flink-properties").toString().split("\n")) {
            if (!line.isBlank()) {
                String[] kv = line.split(":\\s+", 2);
                properties.put(kv[0].strip(), kv[1].strip());
            }
        }
        return properties;
    }

    /** Where the Dockerfile puts the file it copies from the repository path. */
    private static String imagePath(String source) throws IOException {
        Matcher m = Pattern.compile("(?m)^COPY\\s+(?:--\\S+\\s+)*" + Pattern.quote(source) + "\\s+(\\S+)$")
                .matcher(Files.readString(DOCKER.resolve("Dockerfile")));
        assertThat(m.find()).as("COPY of %s in the Dockerfile", source).isTrue();
        return m.group(1).replaceAll("/$", "");
    }

    /** host path -> container path of a service's bind mounts (relative to docker/). */
    private static Map<String, String> binds(Map<String, Object> compose, String service) {
        Map<String, String> binds = new HashMap<>();
        for (Object volume : (List<?>) at(compose, "services", service, "volumes")) {
            String[] parts = volume.toString().split(":");
            if (parts[0].startsWith(".")) {
                binds.put(parts[0], parts[1]);
            }
        }
        return binds;
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesTheReporterOfEveryFlinkProcessAndGrafanaShowsTheDashboard() throws IOException {
        Map<String, Object> compose = yaml(DOCKER.resolve("compose.yaml"));
        Map<String, Object> services = at(compose, "services");
        assertThat(services).containsKeys("kafka", "jobmanager", "taskmanager", "job-submitter", "prometheus", "grafana");
        Map<String, String> flink = composeFlinkProperties(compose);
        assertThat(flink).containsEntry("metrics.reporter.prom.factory.class", PROMETHEUS_REPORTER);
        // each container runs one Flink process: it takes the first port of the range
        String port = flink.get("metrics.reporter.prom.port").split("-")[0];

        // Prometheus: its config file is the one mounted, and it scrapes both services on that port
        Map<String, String> prometheusBinds = binds(compose, "prometheus");
        assertThat(prometheusBinds).containsEntry("./prometheus.yml", "/etc/prometheus/prometheus.yml");
        assertThat((List<String>) at(compose, "services", "prometheus", "command"))
                .contains("--config.file=/etc/prometheus/prometheus.yml");
        Map<String, Object> prometheus = yaml(DOCKER.resolve("prometheus.yml"));
        List<String> targets = new ArrayList<>();
        for (Object job : (List<?>) at(prometheus, "scrape_configs")) {
            Map<String, Object> scrape = (Map<String, Object>) job;
            for (Object sc : (List<?>) scrape.getOrDefault("static_configs", List.of())) {
                targets.addAll((List<String>) ((Map<String, Object>) sc).get("targets"));
            }
            for (Object dns : (List<?>) scrape.getOrDefault("dns_sd_configs", List.of())) {
                Map<String, Object> sd = (Map<String, Object>) dns;
                ((List<String>) sd.get("names")).forEach(name -> targets.add(name + ":" + sd.get("port")));
            }
        }
        assertThat(targets).containsExactlyInAnyOrder("jobmanager:" + port, "taskmanager:" + port);

        // Grafana: provisioning and dashboards mounted where the provider looks, datasource = the prometheus service
        Map<String, String> grafanaBinds = binds(compose, "grafana");
        assertThat(grafanaBinds).containsEntry("./grafana/provisioning", "/etc/grafana/provisioning");
        grafanaBinds.keySet().forEach(host -> assertThat(DOCKER.resolve(host)).exists());
        Map<String, Object> provider = ((List<Map<String, Object>>) at(
                yaml(DOCKER.resolve("grafana/provisioning/dashboards/personalize.yaml")), "providers")).get(0);
        assertThat(grafanaBinds).containsEntry("./grafana/dashboards", at(provider, "options", "path"));
        Map<String, Object> datasource = ((List<Map<String, Object>>) at(
                yaml(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yaml")), "datasources")).get(0);
        String prometheusPort = ((List<?>) at(compose, "services", "prometheus", "ports")).get(0).toString().split(":")[1];
        assertThat(datasource).containsEntry("url", "http://prometheus:" + prometheusPort);
        GrafanaDashboard dashboard = new GrafanaDashboard(GrafanaDashboard.PERSONALIZE);
        List<String> uids = new ArrayList<>();
        dashboard.json.findValues("datasource").forEach(ds -> uids.add(ds.path("uid").asText()));
        assertThat(uids).isNotEmpty().containsOnly((String) datasource.get("uid"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theFlinkDeploymentUpgradesWithSavepointsAndRunsTheImagesJar() throws IOException {
        Map<String, Object> deployment = yaml(DOCKER.resolve("k8s/flink-deployment.yaml"));
        assertThat(deployment).containsEntry("apiVersion", "flink.apache.org/v1beta1").containsEntry("kind", "FlinkDeployment");
        String jar = imagePath("jobs/target/personalize-job.jar");
        assertThat((String) at(deployment, "spec", "job", "jarURI")).isEqualTo("local://" + jar);
        assertThat((String) at(deployment, "spec", "job", "upgradeMode")).isEqualTo("savepoint");
        List<?> args = at(deployment, "spec", "job", "args");
        assertThat(args.get(args.indexOf("--models-dir") + 1)).isEqualTo(imagePath("models/"));

        // the operator's CRD takes string values only
        Map<String, Object> conf = at(deployment, "spec", "flinkConfiguration");
        assertThat(conf.values()).allMatch(String.class::isInstance);
        assertThat(conf).containsEntry(StateBackendOptions.STATE_BACKEND.key(), "rocksdb")
                .containsEntry(CheckpointingOptions.INCREMENTAL_CHECKPOINTS.key(), "true")
                .containsKeys(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key(),
                        CheckpointingOptions.SAVEPOINT_DIRECTORY.key(), RestartStrategyOptions.RESTART_STRATEGY.key())
                .containsEntry("metrics.reporter.prom.factory.class", PROMETHEUS_REPORTER);
        Map<String, Object> container = ((List<Map<String, Object>>) at(deployment, "spec", "podTemplate", "spec",
                "containers")).get(0);
        assertThat((List<Map<String, Object>>) container.get("ports"))
                .anySatisfy(p -> assertThat(p.get("containerPort").toString()).isEqualTo(conf.get("metrics.reporter.prom.port")));

        // compose submits the same jar
        assertThat((String) at(yaml(DOCKER.resolve("compose.yaml")), "services", "job-submitter", "command")).contains(jar);
    }

    @Test
    void everyProfileParsesAndTheClusterProfilesCheckpointIncrementallyRestartAndReportToPrometheus() {
        for (String profile : List.of("local", "staging", "production")) {
            Configuration conf = GlobalConfiguration.loadConfiguration(Path.of("..", "flink-conf", profile).toString());
            assertThat(conf.get(StateBackendOptions.STATE_BACKEND)).as(profile).isEqualTo("rocksdb");
            assertThat(conf.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).as(profile).isTrue();
            assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).as(profile).isNotBlank();
            assertThat(conf.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).as(profile).isNotBlank();
            assertThat(conf.toMap()).as(profile).containsEntry("metrics.reporter.prom.factory.class", PROMETHEUS_REPORTER);
            // the feature state's RocksDB tuning, read through RocksDB's own typed options (a typo fails here)
            assertThat(conf.get(RocksDBConfigurableOptions.USE_BLOOM_FILTER)).as(profile).isTrue();
            assertThat(conf.get(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE)).as(profile)
                    .isEqualTo(MemorySize.parse("128mb"));
            assertThat(conf.get(RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL)).as(profile)
                    .containsExactly(CompressionType.LZ4_COMPRESSION);
            if (!profile.equals("local")) {
                assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY)).as(profile).isEqualTo("exponential-delay");
            }
        }
    }
}
