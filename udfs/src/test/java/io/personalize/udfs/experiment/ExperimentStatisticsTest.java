package io.personalize.udfs.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.personalize.udfs.experiment.ExperimentStatistics.Arm;
import io.personalize.udfs.experiment.ExperimentStatistics.Comparison;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Expected values computed independently with Python's statistics.NormalDist and the chi-square closed forms. */
class ExperimentStatisticsTest {
    @Test
    void relativeLiftWithDeltaMethodIntervalAndPValue() {
        Comparison up = ExperimentStatistics.compare(new Arm("control", 10_000, 1_000), new Arm("b", 10_000, 1_100), 0.95);
        assertThat(up.lift()).isCloseTo(0.1, within(1e-12));
        assertThat(up.liftCiLow()).isCloseTo(0.010870112525620965, within(1e-9));
        assertThat(up.liftCiHigh()).isCloseTo(0.18912988747437876, within(1e-9));
        assertThat(up.pValue()).isCloseTo(0.027878101085336393, within(1e-9));

        Comparison down = ExperimentStatistics.compare(new Arm("control", 5_000, 250), new Arm("b", 5_100, 240), 0.95);
        assertThat(down.lift()).isCloseTo(-0.05882352941176472, within(1e-12));
        assertThat(down.liftCiLow()).isCloseTo(-0.22143309905065417, within(1e-9));
        assertThat(down.liftCiHigh()).isCloseTo(0.10378604022712473, within(1e-9));
        assertThat(down.pValue()).isCloseTo(0.47831755334280945, within(1e-9));
    }

    @Test
    void sampleRatioMismatch() {
        assertThat(ExperimentStatistics.sampleRatioMismatchPValue(
                List.of(new Arm("a", 5_000, 0), new Arm("b", 5_300, 0)), null))
                .isCloseTo(0.0031166938398668655, within(1e-9));
        assertThat(ExperimentStatistics.sampleRatioMismatchPValue(
                List.of(new Arm("a", 1_900, 0), new Arm("b", 3_000, 0), new Arm("c", 5_100, 0)),
                new double[] {0.2, 0.3, 0.5}))
                .isCloseTo(0.0301973834223185, within(1e-9));
        assertThat(ExperimentStatistics.sampleRatioMismatchPValue(
                List.of(new Arm("a", 2_000, 0), new Arm("b", 3_000, 0), new Arm("c", 5_000, 0)),
                new double[] {0.2, 0.3, 0.5}))
                .isCloseTo(1.0, within(1e-12));
    }

    @Test
    void undefinedCasesAreNaNAndBadInputIsRejected() {
        assertThat(ExperimentStatistics.compare(new Arm("c", 100, 0), new Arm("b", 100, 5), 0.95).lift()).isNaN();
        assertThat(ExperimentStatistics.compare(new Arm("c", 0, 0), new Arm("b", 100, 5), 0.95).pValue()).isNaN();
        assertThatThrownBy(() -> new Arm("b", 10, 11)).hasMessageContaining("conversions <= users");
        assertThatThrownBy(() -> ExperimentStatistics.sampleRatioMismatchPValue(
                List.of(new Arm("a", 1, 0), new Arm("b", 1, 0)), new double[] {1.0}))
                .hasMessageContaining("2 variants but 1 weights");
    }
}
