package io.personalize.udfs.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.personalize.udfs.bandit.LinearBandit.Choice;
import io.personalize.udfs.bandit.LinearBandit.Settings;
import java.util.SplittableRandom;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

class LinearBanditTest {
    /**
     * True reward probability of each action: the dot product of its row with the context (1, f1,
     * f2, f3), f uniform in [0, 1). Action 2 is best on average (0.425) and wherever f1 is small;
     * action 1 (0.325 on average) is best where f1 is large.
     */
    private static final double[][] TRUE_COEFFICIENTS = {
        {0.10, 0.10, 0.05, 0.00},
        {0.05, 0.50, 0.00, 0.05},
        {0.30, 0.05, 0.10, 0.10},
        {0.20, 0.00, 0.00, 0.00},
    };
    private static final int ACTIONS = TRUE_COEFFICIENTS.length;
    private static final int DIMENSION = TRUE_COEFFICIENTS[0].length;
    private static final boolean[] ALL_ELIGIBLE = {true, true, true, true};

    @Test
    void learnsToPlayTheBestActionForTheContext() {
        SplittableRandom random = new SplittableRandom(42);
        Settings settings = new Settings(1, 0.5, 0.05);
        int rounds = 20_000;
        int refitEvery = 500;
        BanditStatistics learned = new BanditStatistics(ACTIONS, DIMENSION);
        BanditStatistics sinceRefit = new BanditStatistics(ACTIONS, DIMENSION);
        LinearBandit bandit = new LinearBandit(learned, settings);
        int quarter = rounds / 4;
        int bestInFirstQuarter = 0;
        int bestInLastQuarter = 0;
        double banditRegret = 0;
        double uniformRegret = 0;
        for (int round = 0; round < rounds; round++) {
            if (round > 0 && round % refitEvery == 0) {
                learned.merge(sinceRefit);
                sinceRefit = new BanditStatistics(ACTIONS, DIMENSION);
                bandit = new LinearBandit(learned, settings);
            }
            double[] context = randomContext(random);
            double[] truth = trueProbabilities(context);
            int best = argmax(truth);
            int action = bandit.choose(context, ALL_ELIGIBLE, random.nextDouble()).action();
            sinceRefit.add(action, context, random.nextDouble() < truth[action] ? 1 : 0);

            banditRegret += truth[best] - truth[action];
            uniformRegret += truth[best] - mean(truth);
            if (action == best && round < quarter) {
                bestInFirstQuarter++;
            }
            if (action == best && round >= rounds - quarter) {
                bestInLastQuarter++;
            }
        }
        double firstShare = (double) bestInFirstQuarter / quarter;
        double lastShare = (double) bestInLastQuarter / quarter;

        String figures = String.format("best action's share %.3f in the first quarter, %.3f in the last;"
                + " expected regret %.1f against %.1f for uniform play", firstShare, lastShare, banditRegret,
                uniformRegret);
        assertThat(lastShare).as(figures).isGreaterThan(firstShare + 0.1).isGreaterThan(0.85);
        assertThat(banditRegret).as(figures).isLessThan(uniformRegret / 2);
    }

    @Test
    void loggedProbabilitiesAreTheFrequenciesOfTheChoices() {
        SplittableRandom random = new SplittableRandom(7);
        LinearBandit bandit = new LinearBandit(randomRounds(random, 2_000), new Settings(1, 0.5, 0.3));
        double[] context = {1, 0.9, 0.2, 0.4};
        boolean[] eligible = {true, true, false, true};
        double[] probabilities = bandit.probabilities(context, eligible);
        int draws = 200_000;
        int[] chosen = new int[ACTIONS];
        for (int i = 0; i < draws; i++) {
            Choice choice = bandit.choose(context, eligible, random.nextDouble());
            assertThat(choice.probability()).isEqualTo(probabilities[choice.action()]);
            chosen[choice.action()]++;
        }

        assertThat(probabilities).usingComparatorWithPrecision(1e-15).containsExactlyInAnyOrder(0.1, 0.1, 0.8, 0);
        assertThat(probabilities[2]).isZero();
        for (int a = 0; a < ACTIONS; a++) {
            double p = probabilities[a];
            double standardError = Math.sqrt(p * (1 - p) / draws);
            assertThat((double) chosen[a] / draws).as("frequency of action %d", a)
                    .isCloseTo(p, within(4 * standardError));
        }
    }

    @Test
    void drawBelowEpsilonSpreadsOverTheEligibleActionsInOrderAndAboveItPlaysTheBestBound() {
        LinearBandit bandit = new LinearBandit(new BanditStatistics(ACTIONS, DIMENSION), new Settings(1, 1, 0.3));
        double[] context = {1, 0, 0, 0};
        boolean[] eligible = {false, true, true, true};

        assertThat(bandit.choose(context, eligible, 0.0).action()).isEqualTo(1);
        assertThat(bandit.choose(context, eligible, 0.0999).action()).isEqualTo(1);
        assertThat(bandit.choose(context, eligible, 0.1001).action()).isEqualTo(2);
        assertThat(bandit.choose(context, eligible, 0.2001).action()).isEqualTo(3);
        assertThat(bandit.choose(context, eligible, Math.nextDown(0.3)).action()).isEqualTo(3);
        // with no data every bound is equal, so the greedy choice is the lowest eligible index
        assertThat(bandit.choose(context, eligible, 0.3).action()).isEqualTo(1);
        assertThat(bandit.choose(context, eligible, 0.3).probability()).isCloseTo(0.8, within(1e-15));
        assertThat(bandit.choose(context, eligible, 0.2001).probability()).isCloseTo(0.1, within(1e-15));
    }

    @Test
    void neverPlaysAnIneligibleAction() {
        SplittableRandom random = new SplittableRandom(11);
        LinearBandit bandit = new LinearBandit(randomRounds(random, 2_000), new Settings(1, 0.5, 0.2));
        double[] context = {1, 0.1, 0.5, 0.5};
        int best = argmax(bandit.probabilities(context, ALL_ELIGIBLE));
        boolean[] eligible = ALL_ELIGIBLE.clone();
        eligible[best] = false;

        double[] probabilities = bandit.probabilities(context, eligible);
        assertThat(probabilities[best]).isZero();
        assertThat(probabilities).usingComparatorWithPrecision(1e-15)
                .containsExactlyInAnyOrder(0, 0.2 / 3, 0.2 / 3, 0.8 + 0.2 / 3);
        for (int i = 0; i < 10_000; i++) {
            Choice choice = bandit.choose(context, eligible, random.nextDouble());
            assertThat(choice.action()).isNotEqualTo(best);
            assertThat(choice.upperBounds()[best]).isNaN();
        }
        assertThatThrownBy(() -> bandit.choose(context, new boolean[ACTIONS], 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no action is eligible");
        assertThatThrownBy(() -> bandit.probabilities(context, new boolean[ACTIONS]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no action is eligible");
    }

    @Test
    void statisticsOfTwoHalvesMergeIntoThoseOfTheWholeAndFitTheSameModel() {
        SplittableRandom random = new SplittableRandom(3);
        BanditStatistics whole = new BanditStatistics(ACTIONS, DIMENSION);
        BanditStatistics firstHalf = new BanditStatistics(ACTIONS, DIMENSION);
        BanditStatistics secondHalf = new BanditStatistics(ACTIONS, DIMENSION);
        for (int round = 0; round < 4_000; round++) {
            int action = random.nextInt(ACTIONS);
            double[] context = randomContext(random);
            double reward = random.nextDouble();
            whole.add(action, context, reward);
            (round % 2 == 0 ? firstHalf : secondHalf).add(action, context, reward);
        }
        BanditStatistics merged = firstHalf.copy();
        merged.merge(secondHalf);

        assertThat(merged.contextProducts).containsExactly(whole.contextProducts, within(1e-9));
        assertThat(merged.rewardWeightedContexts).containsExactly(whole.rewardWeightedContexts, within(1e-9));
        assertThat(merged.rewardSums).containsExactly(whole.rewardSums, within(1e-9));
        assertThat(merged.counts).containsExactly(whole.counts);
        Settings settings = new Settings(1, 0.5, 0.1);
        LinearBandit fromMerged = new LinearBandit(merged, settings);
        LinearBandit fromWhole = new LinearBandit(whole, settings);
        for (int a = 0; a < ACTIONS; a++) {
            assertThat(fromMerged.theta(a)).containsExactly(fromWhole.theta(a), within(1e-9));
            assertThat(fromWhole.theta(a)).isNotEqualTo(new double[DIMENSION]);
        }
    }

    @Test
    void withoutDataThetaIsZeroAndTheBoundIsThePriorWidth() {
        double ridge = 2;
        double exploration = 0.7;
        LinearBandit bandit = new LinearBandit(new BanditStatistics(3, 4), new Settings(ridge, exploration, 0));
        double[] context = {1, 0.5, -2, 3};
        double priorWidth = exploration * Math.sqrt((1 + 0.25 + 4 + 9) / ridge);

        assertThat(bandit.actions()).isEqualTo(3);
        assertThat(bandit.dimension()).isEqualTo(4);
        for (int a = 0; a < 3; a++) {
            assertThat(bandit.theta(a)).containsOnly(0);
        }
        Choice choice = bandit.choose(context, new boolean[] {true, false, true}, 0.5);
        assertThat(choice.upperBounds()[0]).isCloseTo(priorWidth, within(1e-12));
        assertThat(choice.upperBounds()[1]).isNaN();
        assertThat(choice.upperBounds()[2]).isCloseTo(priorWidth, within(1e-12));
        assertThat(choice.action()).isZero();
        assertThat(choice.probability()).isEqualTo(1);
    }

    @Test
    void survivesJavaSerialization() throws Exception {
        LinearBandit bandit = new LinearBandit(randomRounds(new SplittableRandom(5), 500), new Settings(1, 0.5, 0.1));
        LinearBandit copy = InstantiationUtil.clone(bandit);
        double[] context = {1, 0.3, 0.6, 0.9};

        assertThat(copy.choose(context, ALL_ELIGIBLE, 0.5).upperBounds())
                .containsExactly(bandit.choose(context, ALL_ELIGIBLE, 0.5).upperBounds());
        assertThat(copy.probabilities(context, ALL_ELIGIBLE))
                .containsExactly(bandit.probabilities(context, ALL_ELIGIBLE));
    }

    @Test
    void rejectsMalformedArguments() {
        LinearBandit bandit = new LinearBandit(new BanditStatistics(2, 2), new Settings(1, 1, 0.1));

        assertThatThrownBy(() -> bandit.choose(new double[] {1, 0}, new boolean[] {true, true}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("uniform01 must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> bandit.choose(new double[] {1, 0}, new boolean[] {true}, 0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("eligibility given for 1 actions, the bandit has 2");
        assertThatThrownBy(() -> bandit.probabilities(new double[] {1}, new boolean[] {true, true}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("context has 1 values, the bandit's dimension is 2");
        assertThatThrownBy(() -> bandit.theta(2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("action 2 out of range 0..1");
        assertThatThrownBy(() -> new LinearBandit(new BanditStatistics(), new Settings(1, 1, 0.1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("statistics of 0 actions of dimension 0 hold arrays of other sizes");
        assertThatThrownBy(() -> new Settings(0, 1, 0.1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("ridge must be positive and finite, got 0.0");
        assertThatThrownBy(() -> new Settings(1, -1, 0.1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("exploration must be non-negative and finite, got -1.0");
        assertThatThrownBy(() -> new Settings(1, 1, 1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("epsilon must be in [0, 1], got 1.5");
    }

    private static BanditStatistics randomRounds(SplittableRandom random, int rounds) {
        BanditStatistics statistics = new BanditStatistics(ACTIONS, DIMENSION);
        for (int round = 0; round < rounds; round++) {
            int action = random.nextInt(ACTIONS);
            double[] context = randomContext(random);
            statistics.add(action, context, random.nextDouble() < trueProbabilities(context)[action] ? 1 : 0);
        }
        return statistics;
    }

    private static double[] randomContext(SplittableRandom random) {
        return new double[] {1, random.nextDouble(), random.nextDouble(), random.nextDouble()};
    }

    private static double[] trueProbabilities(double[] context) {
        double[] probabilities = new double[ACTIONS];
        for (int a = 0; a < ACTIONS; a++) {
            for (int i = 0; i < DIMENSION; i++) {
                probabilities[a] += TRUE_COEFFICIENTS[a][i] * context[i];
            }
        }
        return probabilities;
    }

    private static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double value : values) {
            sum += value;
        }
        return sum / values.length;
    }
}
