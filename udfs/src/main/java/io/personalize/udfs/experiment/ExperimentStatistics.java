package io.personalize.udfs.experiment;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.commons.statistics.inference.ChiSquareTest;

/**
 * Frequentist analysis of a conversion experiment: relative lift of each variant over control
 * with a delta-method confidence interval and two-sided p-value (normal approximation), and a
 * sample-ratio-mismatch chi-square test of the users per variant against the configured weights.
 */
public final class ExperimentStatistics {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    private ExperimentStatistics() {}

    /** Users and conversions of one variant. */
    public record Arm(String name, long users, long conversions) {
        public Arm {
            if (users < 0 || conversions < 0 || conversions > users) {
                throw new IllegalArgumentException(name + ": need 0 <= conversions <= users, got " + conversions
                        + " conversions of " + users + " users");
            }
        }

        double rate() {
            return users == 0 ? 0 : (double) conversions / users;
        }

        /** Variance of the conversion rate's estimate. */
        double rateVariance() {
            return users == 0 ? Double.NaN : rate() * (1 - rate()) / users;
        }
    }

    /**
     * A variant against control. NaN where the data cannot tell (no users, no control conversions).
     * {@code standardError} is the lift's, for sequential tests.
     */
    public record Comparison(String variant, double lift, double liftCiLow, double liftCiHigh, double pValue,
            double standardError) {}

    /** Relative lift of the conversion rate. */
    public static Comparison compare(Arm control, Arm variant, double confidence) {
        if (control.users() == 0 || variant.users() == 0) {
            return compareMeans(variant.name(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, confidence);
        }
        return compareMeans(variant.name(), control.rate(), control.rateVariance(), variant.rate(),
                variant.rateVariance(), confidence);
    }

    /**
     * Relative lift (mean_v / mean_c - 1) of two independent means, given the variance of each mean's
     * estimate. The delta method gives its variance as var_v / mean_c^2 + mean_v^2 var_c / mean_c^4.
     */
    public static Comparison compareMeans(String variant, double meanControl, double varianceControl,
            double meanVariant, double varianceVariant, double confidence) {
        if (Double.isNaN(meanControl) || Double.isNaN(meanVariant) || meanControl == 0) {
            return new Comparison(variant, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mc = meanControl;
        double lift = meanVariant / mc - 1;
        double variance = varianceVariant / (mc * mc) + meanVariant * meanVariant * varianceControl / (mc * mc * mc * mc);
        double se = Math.sqrt(variance);
        double z = STANDARD_NORMAL.inverseSurvivalProbability((1 - confidence) / 2);
        double pValue = se == 0 ? (lift == 0 ? 1 : 0) : 2 * STANDARD_NORMAL.survivalProbability(Math.abs(lift) / se);
        return new Comparison(variant, lift, lift - z * se, lift + z * se, pValue, se);
    }

    /** Every variant after the first (control) against it. */
    public static List<Comparison> compareAll(List<Arm> arms, double confidence) {
        List<Comparison> out = new ArrayList<>();
        for (int i = 1; i < arms.size(); i++) {
            out.add(compare(arms.get(0), arms.get(i), confidence));
        }
        return out;
    }

    /** p-value of the users per arm under the expected weights (null: equal); small means mismatch. */
    public static double sampleRatioMismatchPValue(List<Arm> arms, double[] weights) {
        long[] observed = arms.stream().mapToLong(Arm::users).toArray();
        double[] expected = weights == null ? GrowthBookHashing.equalWeights(arms.size()) : weights.clone();
        if (expected.length != observed.length) {
            throw new IllegalArgumentException(arms.size() + " variants but " + expected.length + " weights");
        }
        if (arms.stream().mapToLong(Arm::users).sum() == 0) {
            return Double.NaN;
        }
        return ChiSquareTest.withDefaults().test(expected, observed).getPValue();
    }
}
