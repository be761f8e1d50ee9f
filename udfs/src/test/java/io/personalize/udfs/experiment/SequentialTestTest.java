package io.personalize.udfs.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Watching an experiment continuously: the fixed-horizon p-value, looked at after every batch,
 * crosses 0.05 far more often than 5% of the time when there is no effect; the always-valid one
 * does not, and still finds a real drop.
 */
class SequentialTestTest {
    private static final int EXPERIMENTS = 400;
    private static final int LOOKS = 40;
    private static final int USERS_PER_LOOK = 250;
    private static final double BASE_RATE = 0.1;

    /** Share of simulated experiments in which the fixed-horizon and the always-valid test fired at some look. */
    private static double[] falsePositiveAndDetectionRates(double treatmentRate, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int naive = 0;
        int sequential = 0;
        for (int e = 0; e < EXPERIMENTS; e++) {
            long users = 0;
            long conversionsC = 0;
            long conversionsT = 0;
            double alwaysValid = 1;
            boolean naiveFired = false;
            for (int look = 0; look < LOOKS; look++) {
                for (int u = 0; u < USERS_PER_LOOK; u++) {
                    conversionsC += random.nextDouble() < BASE_RATE ? 1 : 0;
                    conversionsT += random.nextDouble() < treatmentRate ? 1 : 0;
                }
                users += USERS_PER_LOOK;
                var c = ExperimentStatistics.compare(new ExperimentStatistics.Arm("c", users, conversionsC),
                        new ExperimentStatistics.Arm("t", users, conversionsT), 0.95);
                naiveFired |= c.pValue() < 0.05;
                alwaysValid = SequentialTest.update(alwaysValid, c.lift(), c.standardError() * c.standardError(), 0.2);
            }
            naive += naiveFired ? 1 : 0;
            sequential += alwaysValid < 0.05 ? 1 : 0;
        }
        return new double[] {(double) naive / EXPERIMENTS, (double) sequential / EXPERIMENTS};
    }

    @Test
    void peekingInflatesTheFixedHorizonTestButNotTheAlwaysValidOne() {
        double[] rates = falsePositiveAndDetectionRates(BASE_RATE, 42);
        System.out.printf("A/A, %d looks: fixed-horizon p<0.05 at some look in %.3f of experiments, always-valid in %.3f%n",
                LOOKS, rates[0], rates[1]);
        assertThat(rates[0]).isGreaterThan(0.15);
        assertThat(rates[1]).isLessThan(0.05);
    }

    @Test
    void aRealDropIsFoundWithinTheLooks() {
        double[] rates = falsePositiveAndDetectionRates(BASE_RATE * 0.8, 7);
        System.out.printf("-20%% conversion, %d looks of %d users per arm: always-valid p<0.05 in %.3f of experiments%n",
                LOOKS, USERS_PER_LOOK, rates[1]);
        assertThat(rates[1]).isGreaterThan(0.8);
    }

    @Test
    void noVarianceMeansNoEvidence() {
        assertThat(SequentialTest.pValueAtLook(0.3, 0, 0.2)).isEqualTo(1);
        assertThat(SequentialTest.pValueAtLook(Double.NaN, 0.01, 0.2)).isEqualTo(1);
        assertThat(SequentialTest.update(0.2, 0, 0.01, 0.2)).isEqualTo(0.2);
    }
}
