package io.personalize.udfs.experiment;

import java.io.Serializable;
import java.time.Duration;

/**
 * How experiments are analysed live and when the guardrails stop a variant by themselves: when its
 * conversion is down by more than {@code maxConversionDrop} with an always-valid p-value below
 * {@code guardrailAlpha}, or (every variant) when the sample-ratio check's p-value falls below
 * {@code srmPValue}; either only once every variant has {@code guardrailMinUsers} users.
 */
public record AnalysisSettings(Duration reportInterval, double confidence, double sequentialTau,
        double maxConversionDrop, double guardrailAlpha, long guardrailMinUsers, double srmPValue)
        implements Serializable {
    public AnalysisSettings {
        if (reportInterval.isNegative() || reportInterval.isZero()) {
            throw new IllegalArgumentException("report interval must be positive, got " + reportInterval);
        }
        if (!(confidence > 0 && confidence < 1) || !(guardrailAlpha > 0 && guardrailAlpha < 1)
                || !(srmPValue >= 0 && srmPValue < 1)) {
            throw new IllegalArgumentException("confidence, guardrail alpha and SRM p-value must be in (0, 1)");
        }
        if (!(sequentialTau > 0) || !(maxConversionDrop > 0 && maxConversionDrop <= 1) || guardrailMinUsers < 1) {
            throw new IllegalArgumentException("need sequential tau > 0, 0 < max conversion drop <= 1, min users >= 1");
        }
    }

    public static AnalysisSettings defaults() {
        return new AnalysisSettings(Duration.ofSeconds(5), 0.95, 0.2, 0.15, 0.05, 100, 0.001);
    }
}
