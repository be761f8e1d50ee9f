package io.personalize.udfs.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

class BanditStatisticsTest {
    @Test
    void isAFlinkPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(BanditStatistics.class);
    }

    @Test
    void addsOuterProductAndRewardWeightedContextToTheActionPlayed() {
        BanditStatistics statistics = new BanditStatistics(2, 2);
        statistics.add(1, new double[] {1, 2}, 0.5);
        statistics.add(1, new double[] {1, -1}, 1);

        assertThat(statistics.contextProducts).containsExactly(0, 0, 0, 0, 2, 1, 1, 5);
        assertThat(statistics.rewardWeightedContexts).containsExactly(0, 0, 1.5, 0);
        assertThat(statistics.counts).containsExactly(0, 2);
        assertThat(statistics.rewardSums).containsExactly(0, 1.5);
    }

    @Test
    void rejectsWhatDoesNotFit() {
        BanditStatistics statistics = new BanditStatistics(2, 3);

        assertThatThrownBy(() -> statistics.add(2, new double[] {1, 0, 0}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("action 2 out of range 0..1");
        assertThatThrownBy(() -> statistics.add(-1, new double[] {1, 0, 0}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("action -1 out of range 0..1");
        assertThatThrownBy(() -> statistics.add(0, new double[] {1, 0}, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("context has 2 values, the bandit's dimension is 3");
        assertThatThrownBy(() -> statistics.add(0, new double[] {1, Double.NaN, 0}, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("context value 1 must be finite, got NaN in [1.0, NaN, 0.0]");
        assertThatThrownBy(() -> statistics.add(0, new double[] {1, 0, 0}, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("reward must be finite, got NaN");
        assertThatThrownBy(() -> statistics.merge(new BanditStatistics(2, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot merge statistics of 2 actions of dimension 2 into 2 actions of dimension 3");
        assertThatThrownBy(() -> statistics.merge(new BanditStatistics()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("statistics of 0 actions of dimension 0 hold arrays of other sizes");
        assertThatThrownBy(() -> new BanditStatistics(0, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("need at least one action and one dimension, got 0 actions of dimension 3");
        assertThat(statistics.counts).containsExactly(0, 0);
    }

    @Test
    void copyIsIndependent() {
        BanditStatistics original = new BanditStatistics(2, 2);
        original.add(0, new double[] {1, 3}, 1);
        BanditStatistics copy = original.copy();
        copy.add(0, new double[] {1, 3}, 1);
        copy.merge(copy.copy());

        assertThat(original.contextProducts).containsExactly(1, 3, 3, 9, 0, 0, 0, 0);
        assertThat(original.rewardWeightedContexts).containsExactly(1, 3, 0, 0);
        assertThat(original.counts).containsExactly(1, 0);
        assertThat(original.rewardSums).containsExactly(1, 0);
        assertThat(copy.counts).containsExactly(4, 0);
        assertThat(copy.contextProducts).containsExactly(4, 12, 12, 36, 0, 0, 0, 0);
    }
}
