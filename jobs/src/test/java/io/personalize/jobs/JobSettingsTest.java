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
}
