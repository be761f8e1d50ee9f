package io.personalize.udfs.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.personalize.udfs.TestEvents;
import io.personalize.udfs.bandit.OffPolicyEstimators.Estimate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OffPolicyEstimatorsTest {
    private static final Path OPEN_BANDIT = TestEvents.sharedDir().resolve("data/open-bandit");

    /**
     * The random logs' click rate is the uniform policy's value measured on-policy; the BTS logs,
     * reweighted by their propensities, must find the same value within the combined noise.
     */
    @ParameterizedTest
    @ValueSource(strings = {"men", "women"})
    void uniformPolicyFromThompsonSamplingLogsMatchesTheRandomLogs(String campaign) throws IOException {
        OpenBanditLogs.Campaign random = OpenBanditLogs.load(OPEN_BANDIT.resolve("random").resolve(campaign));
        OpenBanditLogs.Campaign bts = OpenBanditLogs.load(OPEN_BANDIT.resolve("bts").resolve(campaign));
        assertThat(random.rounds()).hasSize(10_000);
        assertThat(bts.rounds()).hasSize(10_000);
        assertThat(bts.items()).isEqualTo(random.items()).isEqualTo(campaign.equals("men") ? 34 : 46);

        Estimate reference = OffPolicyEstimators.onPolicy(random.rounds());
        assertThat(reference.value()).isCloseTo(46 / 10_000.0, within(1e-12));

        TargetPolicy uniform = TargetPolicy.uniform(bts.items());
        Map<String, Estimate> estimates = Map.of(
                "IPW", OffPolicyEstimators.ipw(bts.rounds(), uniform),
                "SNIPW", OffPolicyEstimators.snipw(bts.rounds(), uniform),
                "DR", OffPolicyEstimators.doublyRobust(bts.rounds(), uniform,
                        SmoothedMeanRewards.fitter(bts.items(), LoggedRound::position, 10)));
        estimates.forEach((name, estimate) -> {
            double combined = Math.hypot(estimate.standardError(), reference.standardError());
            assertThat(estimate.value()).as("%s %s: %s vs reference %s", campaign, name, estimate, reference)
                    .isCloseTo(reference.value(), within(3 * combined));
            assertThat(estimate.standardError()).as("%s %s", campaign, name).isPositive();
            assertThat(estimate.effectiveSampleSize()).isPositive().isLessThan(bts.rounds().size());
        });
    }

    @Test
    void uniformPolicyOnUniformLogsIsTheOnPolicyMean() throws IOException {
        OpenBanditLogs.Campaign random = OpenBanditLogs.load(OPEN_BANDIT.resolve("random/men"));
        Estimate ipw = OffPolicyEstimators.ipw(random.rounds(), TargetPolicy.uniform(random.items()));
        Estimate onPolicy = OffPolicyEstimators.onPolicy(random.rounds());
        assertThat(ipw.value()).isEqualTo(onPolicy.value()).isEqualTo(0.0046);
        assertThat(ipw.standardError()).isEqualTo(onPolicy.standardError());
        assertThat(ipw.effectiveSampleSize()).isEqualTo(10_000);
    }

    /** Four user segments, five actions, known click rates; the logging policy favours other actions. */
    private static final double[][] CLICK_RATE = {
        {0.10, 0.30, 0.50, 0.20, 0.05},
        {0.40, 0.10, 0.20, 0.60, 0.15},
        {0.25, 0.55, 0.05, 0.10, 0.35},
        {0.05, 0.20, 0.30, 0.45, 0.60},
    };
    private static final double[] LOGGING_SHARES = {0.40, 0.25, 0.15, 0.12, 0.08};
    private static final int ACTIONS = 5;

    /** Segment s gives action (s + k) mod 5 the k-th share: each segment's favourite differs. */
    private static double logging(int segment, int action) {
        return LOGGING_SHARES[Math.floorMod(action - segment, ACTIONS)];
    }

    /** 0.7 on the segment's best action, the rest spread evenly. */
    private static final TargetPolicy MOSTLY_BEST = new TargetPolicy(ACTIONS, (round, action) -> {
        double[] rates = CLICK_RATE[(int) round.context()[0]];
        int best = 0;
        for (int a = 1; a < ACTIONS; a++) {
            best = rates[a] > rates[best] ? a : best;
        }
        return action == best ? 0.7 : 0.3 / (ACTIONS - 1);
    });

    private static double trueValue() {
        double value = 0;
        for (int s = 0; s < CLICK_RATE.length; s++) {
            LoggedRound inSegment = new LoggedRound(new double[] {s}, 0, 0, 0, 1);
            for (int a = 0; a < ACTIONS; a++) {
                value += MOSTLY_BEST.probability(inSegment, a) * CLICK_RATE[s][a] / CLICK_RATE.length;
            }
        }
        return value;
    }

    private static List<LoggedRound> simulate(int rounds, SplittableRandom random) {
        List<LoggedRound> logs = new ArrayList<>(rounds);
        for (int i = 0; i < rounds; i++) {
            int segment = random.nextInt(CLICK_RATE.length);
            double u = random.nextDouble();
            int action = 0;
            while (u >= logging(segment, action) && action < ACTIONS - 1) {
                u -= logging(segment, action);
                action++;
            }
            double click = random.nextDouble() < CLICK_RATE[segment][action] ? 1 : 0;
            logs.add(new LoggedRound(new double[] {segment}, action, 0, click, logging(segment, action)));
        }
        return logs;
    }

    private static final Function<List<LoggedRound>, RewardModel> BY_SEGMENT =
            SmoothedMeanRewards.fitter(ACTIONS, r -> (int) r.context()[0], 1);

    @Test
    void syntheticLogsWithKnownValue() {
        double truth = trueValue();
        assertThat(truth).isCloseTo(0.7 * (0.50 + 0.60 + 0.55 + 0.60) / 4 + 0.075 * (
                (0.10 + 0.30 + 0.20 + 0.05) + (0.40 + 0.10 + 0.20 + 0.15)
                + (0.25 + 0.05 + 0.10 + 0.35) + (0.05 + 0.20 + 0.30 + 0.45)) / 4, within(1e-12));
        List<LoggedRound> logs = simulate(50_000, new SplittableRandom(20_240_601));
        assertThat(OffPolicyEstimators.onPolicy(logs).value()).as("the logging policy is worse than the target")
                .isLessThan(truth - 0.1);

        Estimate ipw = OffPolicyEstimators.ipw(logs, MOSTLY_BEST);
        Estimate snipw = OffPolicyEstimators.snipw(logs, MOSTLY_BEST);
        Estimate dr = OffPolicyEstimators.doublyRobust(logs, MOSTLY_BEST, BY_SEGMENT);
        for (Estimate estimate : List.of(ipw, snipw, dr)) {
            assertThat(estimate.value()).as("%s vs truth %s", estimate, truth)
                    .isCloseTo(truth, within(3 * estimate.standardError()));
            assertThat(estimate.ciLow()).isLessThan(estimate.value());
            assertThat(estimate.ciHigh() - estimate.value())
                    .isCloseTo(1.959963984540054 * estimate.standardError(), within(1e-12));
        }
        // the exact figures from the tables: sqrt(var(w r) / n) = 0.00610 for IPW, and for DR with the true
        // q, sqrt((var(direct) + E[w^2 r (1 - r)]) / n) = 0.00429; n / E[w^2] = 13,144
        assertThat(ipw.standardError()).isCloseTo(0.00610, withinPercentage(5));
        assertThat(dr.standardError()).as("DR %s vs IPW %s", dr, ipw).isCloseTo(0.00429, withinPercentage(5))
                .isLessThan(0.75 * ipw.standardError());
        assertThat(ipw.effectiveSampleSize()).isEqualTo(dr.effectiveSampleSize())
                .isCloseTo(13_144, withinPercentage(3));
    }

    /** Unbiased, with calibrated errors: over many small logs the estimates centre on the truth and cover it. */
    @Test
    void intervalsCoverTheTrueValueOverReplications() {
        double truth = trueValue();
        SplittableRandom random = new SplittableRandom(7);
        int replications = 300;
        String[] names = {"IPW", "SNIPW", "DR"};
        int[] covered = new int[names.length];
        double[] meanEstimate = new double[names.length];
        for (int r = 0; r < replications; r++) {
            List<LoggedRound> logs = simulate(1_000, random);
            List<Estimate> estimates = List.of(OffPolicyEstimators.ipw(logs, MOSTLY_BEST),
                    OffPolicyEstimators.snipw(logs, MOSTLY_BEST),
                    OffPolicyEstimators.doublyRobust(logs, MOSTLY_BEST, BY_SEGMENT));
            for (int e = 0; e < names.length; e++) {
                Estimate estimate = estimates.get(e);
                covered[e] += estimate.ciLow() <= truth && truth <= estimate.ciHigh() ? 1 : 0;
                meanEstimate[e] += estimate.value() / replications;
            }
        }
        for (int e = 0; e < names.length; e++) {
            assertThat(covered[e]).as("%s covered the truth %d of %d times", names[e], covered[e], replications)
                    .isBetween(270, 300);
            assertThat(meanEstimate[e]).as(names[e]).isCloseTo(truth, within(0.005));
        }
    }

    /** Expected figures computed independently with Python's statistics module. */
    @Test
    void figuresOfASmallLog() {
        List<LoggedRound> logs = List.of(round(0, 1, 0.5), round(1, 0, 0.25), round(2, 1, 0.25),
                round(0, 0, 0.5), round(1, 1, 0.25), round(2, 0, 0.8));
        double[] target = {0.2, 0.3, 0.5};
        TargetPolicy fixed = new TargetPolicy(3, (round, action) -> target[action]);
        Estimate ipw = OffPolicyEstimators.ipw(logs, fixed);
        assertThat(ipw.value()).isCloseTo(0.6, within(1e-12));
        assertThat(ipw.standardError()).isCloseTo(0.33862466931200785, within(1e-12));
        assertThat(ipw.effectiveSampleSize()).isCloseTo(4.4700699876492385, within(1e-12));
        Estimate snipw = OffPolicyEstimators.snipw(logs, fixed);
        assertThat(snipw.value()).isCloseTo(0.6180257510729613, within(1e-12));
        assertThat(snipw.standardError()).isCloseTo(0.23619186231255412, within(1e-12));
        Estimate dr = OffPolicyEstimators.doublyRobust(logs, fixed, rounds -> (round, action) -> 0.1 * (action + 1));
        assertThat(dr.value()).isCloseTo(0.6054166666666667, within(1e-12));
        assertThat(dr.standardError()).isCloseTo(0.2744649466588483, within(1e-12));
    }

    private static LoggedRound round(int action, double reward, double propensity) {
        return new LoggedRound(new double[0], action, 0, reward, propensity);
    }

    @Test
    void doublyRobustWithoutARewardModelIsIpw() {
        List<LoggedRound> logs = simulate(5_000, new SplittableRandom(11));
        Estimate ipw = OffPolicyEstimators.ipw(logs, MOSTLY_BEST);
        Estimate dr = OffPolicyEstimators.doublyRobust(logs, MOSTLY_BEST, rounds -> (round, action) -> 0);
        assertThat(dr.value()).isCloseTo(ipw.value(), within(1e-15));
        assertThat(dr.standardError()).isCloseTo(ipw.standardError(), within(1e-15));
    }

    @Test
    void invalidInputIsRejected() {
        assertThatThrownBy(() -> new LoggedRound(new double[0], 1, 0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("propensity must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> new LoggedRound(new double[0], 1, 0, 1, 1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 1.5");
        assertThatThrownBy(() -> OffPolicyEstimators.ipw(List.of(), TargetPolicy.uniform(3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no logged rounds to estimate from");
        assertThatThrownBy(() -> OffPolicyEstimators.onPolicy(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no logged rounds to estimate from");

        List<LoggedRound> logs = List.of(round(0, 1, 0.5), round(2, 0, 0.25));
        TargetPolicy tooMuch = new TargetPolicy(3, (round, action) -> 0.5);
        assertThatThrownBy(() -> OffPolicyEstimators.snipw(logs, tooMuch))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("round 0: target probabilities sum to 1.5, not 1");
        assertThatThrownBy(() -> OffPolicyEstimators.ipw(logs, TargetPolicy.uniform(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("round 1 logged action 2");
        assertThatThrownBy(() -> OffPolicyEstimators.doublyRobust(logs.subList(0, 1), TargetPolicy.uniform(3),
                BY_SEGMENT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 2");
    }

    @Test
    void badRowNamesFileAndLine(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("men.csv");
        Files.writeString(csv, """
                ,timestamp,item_id,position,click,propensity_score,user_feature_0,\
                user-item_affinity_0,user-item_affinity_1
                0,2019-11-24 00:01:03+00:00,1,2,0,0.5,abc,0.0,1.0
                1,2019-11-24 00:01:04+00:00,1,3,1,0.0,abc,0.0,0.0
                """);
        assertThatThrownBy(() -> OpenBanditLogs.rounds(csv, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(csv + " line 3: propensity must be in (0, 1], got 0.0");
        Files.writeString(csv, Files.readString(csv).replace(",0.0,abc", ",0.3,abc").replace(",1,2,", ",5,2,"));
        assertThatThrownBy(() -> OpenBanditLogs.rounds(csv, 2))
                .hasMessage(csv + " line 2: item_id 5 but item_context.csv lists 2 items");

        Files.writeString(csv, Files.readString(csv).replace(",5,2,", ",1,2,"));
        List<LoggedRound> rounds = OpenBanditLogs.rounds(csv, 2);
        assertThat(rounds).extracting(LoggedRound::action, LoggedRound::position, LoggedRound::reward,
                LoggedRound::propensity).containsExactly(tuple(1, 2, 0.0, 0.5), tuple(1, 3, 1.0, 0.3));
        assertThat(rounds.get(0).context()).containsExactly(0.0, 1.0);
    }
}
