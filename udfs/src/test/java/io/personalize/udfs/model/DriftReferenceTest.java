package io.personalize.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class DriftReferenceTest {
    private static DriftReference.Bins uniform() {
        float[][] rows = new float[1_000][1];
        float[] scores = new float[1_000];
        for (int i = 0; i < 1_000; i++) {
            rows[i][0] = i;
            scores[i] = i / 1000f;
        }
        return DriftReference.of(List.of("x"), rows, scores).features.get(0);
    }

    @Test
    void decileBinsSplitTheReferenceEvenlyAndAValueOnAnEdgeGoesAbove() {
        DriftReference.Bins bins = uniform();
        assertThat(bins.edges).containsExactly(100, 200, 300, 400, 500, 600, 700, 800, 900);
        assertThat(bins.fractions).hasSize(11);
        for (int b = 0; b < 10; b++) {
            assertThat(bins.fractions[b]).isCloseTo(0.1, within(1e-9));
        }
        assertThat(bins.fractions[10]).as("missing values").isZero();
        assertThat(bins.binOf(99.9)).isZero();
        assertThat(bins.binOf(100)).isEqualTo(1);
        assertThat(bins.binOf(1e9)).isEqualTo(9);
        assertThat(bins.binOf(Double.NaN)).isEqualTo(10);
    }

    @Test
    void psiIsZeroForTheSameDistributionAndGrowsWithTheShift() {
        DriftReference.Bins bins = uniform();
        assertThat(bins.psi(new long[] {10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0})).isCloseTo(0, within(1e-9));
        // half of the lower bins' mass moved up: 5 (0.05-0.1) ln 0.5 + 5 (0.15-0.1) ln 1.5 = 0.25 ln 3
        assertThat(bins.psi(new long[] {5, 5, 5, 5, 5, 15, 15, 15, 15, 15, 0}))
                .isCloseTo(0.25 * Math.log(3), within(1e-9));
        assertThat(bins.psi(new long[] {100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})).isGreaterThan(5);
        assertThat(bins.psi(new long[11])).isNaN();
    }

    @Test
    void tiesCollapseIntoFewerBins() {
        float[][] rows = new float[100][1];
        for (int i = 90; i < 100; i++) {
            rows[i][0] = 1;
        }
        DriftReference.Bins bins = DriftReference.of(List.of("mostly_zero"), rows, new float[100]).features.get(0);
        assertThat(bins.edges).containsExactly(0, 1);
        assertThat(bins.fractions).containsExactly(0, 0.9, 0.1, 0);
    }
}
