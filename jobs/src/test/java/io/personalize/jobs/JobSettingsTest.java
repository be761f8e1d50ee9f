package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

class JobSettingsTest {
    @Test
    void parsesTypedOptionsFromTheCommandLine() {
        JobSettings settings = JobSettings.fromArgs(new String[] {"--models-dir", "/models", "--model-timeout", "250 ms",
                "--delivery-guarantee", "EXACTLY_ONCE", "--experiment.weights", "0.2;0.8",
                "--kafka.properties.security.protocol", "SASL_SSL"});
        assertThat(settings.get(JobSettings.MODEL_TIMEOUT)).isEqualTo(Duration.ofMillis(250));
        assertThat(settings.get(JobSettings.DELIVERY_GUARANTEE).guarantee).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(settings.experiment().assign("user-1")).isBetween(0, 1);
        assertThat(settings.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL");
        assertThat(settings.get(JobSettings.EVENTS_TOPIC)).isEqualTo("user-events");
    }

    @Test
    void theGivenArgumentsArePublishedWithSecretsRedacted() {
        JobSettings settings = JobSettings.fromArgs(new String[] {"--models-dir", "/models", "--delivery-guarantee",
                "EXACTLY_ONCE", "--kafka.properties.security.protocol", "SASL_SSL",
                "--kafka.properties.sasl.jaas.config", "PlainLoginModule required password=\"hunter2\";",
                "--kafka.properties.ssl.truststore.password", "changeit",
                "--kafka.properties.key.serializer", "org.apache.kafka.common.serialization.StringSerializer"});
        assertThat(settings.givenArguments()).containsExactly(
                Map.entry("delivery-guarantee", "EXACTLY_ONCE"),
                Map.entry("kafka.properties.key.serializer", "org.apache.kafka.common.serialization.StringSerializer"),
                Map.entry("kafka.properties.sasl.jaas.config", JobSettings.REDACTED),
                Map.entry("kafka.properties.security.protocol", "SASL_SSL"),
                Map.entry("kafka.properties.ssl.truststore.password", JobSettings.REDACTED),
                Map.entry("models-dir", "/models"));
        // what the web UI shows and scripts/upgrade.sh reads back: the job's global parameters
        assertThat(PersonalizationJob.environmentConfig(settings).get(
                org.apache.flink.configuration.PipelineOptions.GLOBAL_JOB_PARAMETERS))
                .isEqualTo(settings.givenArguments());
    }

    @Test
    void otherWriterSchemasMustResolveToTheCurrentEvent(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String current = io.personalize.schema.UserEvent.getClassSchema().toString();
        java.nio.file.Files.writeString(dir.resolve("UserEvent.v0.avsc"), current);
        JobSettings ok = JobSettings.fromMap(Map.of("models-dir", "/m", "events-writer-schemas", dir.toString()));
        assertThat(ok.otherWriterSchemas()).hasSize(1);

        // a producer that wrote the user id as a number cannot be read as the current event
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode bad =
                (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(current);
        bad.get("fields").forEach(field -> {
            if (field.get("name").asText().equals("userId")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) field).put("type", "long");
            }
        });
        java.nio.file.Files.writeString(dir.resolve("UserEvent.bad.avsc"), bad.toString());
        assertThatThrownBy(() -> JobSettings.fromMap(Map.of("models-dir", "/m", "events-writer-schemas", dir.toString())))
                .hasMessageContaining("UserEvent.bad.avsc cannot be read as the current UserEvent");
    }

    @Test
    void reportsEveryWrongOrMissingValueAtOnce() {
        assertThatThrownBy(() -> JobSettings.fromMap(Map.of("model-timeout", "soon", "max-items", "3",
                "delivery-guarantee", "maybe")))
                .isInstanceOfSatisfying(JobSettings.InvalidSettingsException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("unknown option --max-items"))
                        .anySatisfy(p -> assertThat(p).startsWith("--model-timeout 'soon' is not valid"))
                        .anySatisfy(p -> assertThat(p).startsWith("--delivery-guarantee 'maybe' is not valid")));
        assertThatThrownBy(() -> JobSettings.fromMap(Map.of("decision.retention-threshold", "1.5",
                "experiment.weights", "0.5;0.6")))
                .isInstanceOfSatisfying(JobSettings.InvalidSettingsException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("--models-dir is required"))
                        .anySatisfy(p -> assertThat(p).contains("retention-threshold must be in [0, 1]"))
                        .anySatisfy(p -> assertThat(p).contains("--experiment.weights must be >= 0 and sum to 1")));
    }

    @Test
    void everyDeadLetterMustFitTheProducersLargestRequest() {
        assertThat(JobSettings.fromMap(Map.of("models-dir", "/m", "max-event-bytes", "300000"))
                .get(JobSettings.MAX_EVENT_BYTES)).isEqualTo(300_000);
        assertThatThrownBy(() -> JobSettings.fromMap(Map.of("models-dir", "/m", "max-event-bytes", "400000")))
                .isInstanceOfSatisfying(JobSettings.InvalidSettingsException.class, e -> assertThat(e.problems())
                        .containsExactly("--max-event-bytes 400000 makes dead letters of up to 1216384 bytes (the key "
                                + "twice, the value, the error), more than the producer's max.request.size 1048576: lower "
                                + "it, or raise --kafka.properties.max.request.size (and the dead-letter topic's "
                                + "max.message.bytes)"));
        assertThat(JobSettings.fromMap(Map.of("models-dir", "/m", "max-event-bytes", "400000",
                "kafka.properties.max.request.size", "2000000")).get(JobSettings.MAX_EVENT_BYTES)).isEqualTo(400_000);
    }
}
