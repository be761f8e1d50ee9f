package io.personalize.udfs.bandit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntToDoubleFunction;
import java.util.function.ToIntFunction;

/**
 * A reward model of mean rewards with additive smoothing: per action, shrunk toward the mean of
 * all rounds, and per action within a stratum of rounds (a slot, a user segment), shrunk toward
 * the action's mean. Each shrinkage adds {@code priorRounds} pseudo-rounds at the coarser mean, so
 * an action or stratum seen rarely falls back on what is known about it.
 */
public final class SmoothedMeanRewards implements RewardModel {
    private final double[] actionMeans;
    private final Map<Integer, double[]> stratumMeans;
    private final ToIntFunction<LoggedRound> stratum;

    private SmoothedMeanRewards(double[] actionMeans, Map<Integer, double[]> stratumMeans,
            ToIntFunction<LoggedRound> stratum) {
        this.actionMeans = actionMeans;
        this.stratumMeans = stratumMeans;
        this.stratum = stratum;
    }

    /** Fits on the rounds; the stratum of a round is any int (every round in one stratum: {@code r -> 0}). */
    public static SmoothedMeanRewards fit(List<LoggedRound> rounds, int actions, ToIntFunction<LoggedRound> stratum,
            double priorRounds) {
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException("no rounds to fit a reward model on");
        }
        if (!(priorRounds > 0)) {
            throw new IllegalArgumentException("priorRounds must be > 0, got " + priorRounds);
        }
        RewardSums all = new RewardSums(actions);
        Map<Integer, RewardSums> byStratum = new HashMap<>();
        double total = 0;
        for (LoggedRound round : rounds) {
            if (round.action() >= actions) {
                throw new IllegalArgumentException("action " + round.action() + " of a round is not one of the "
                        + actions + " actions");
            }
            all.add(round);
            total += round.reward();
            byStratum.computeIfAbsent(stratum.applyAsInt(round), s -> new RewardSums(actions)).add(round);
        }
        double overall = total / rounds.size();
        double[] actionMeans = all.smoothedMeans(a -> overall, priorRounds);
        Map<Integer, double[]> stratumMeans = new HashMap<>();
        byStratum.forEach((s, sums) -> stratumMeans.put(s, sums.smoothedMeans(a -> actionMeans[a], priorRounds)));
        return new SmoothedMeanRewards(actionMeans, stratumMeans, stratum);
    }

    /** For {@link OffPolicyEstimators#doublyRobust}, which fits one model per cross-fitting half. */
    public static Function<List<LoggedRound>, RewardModel> fitter(int actions, ToIntFunction<LoggedRound> stratum,
            double priorRounds) {
        return rounds -> fit(rounds, actions, stratum, priorRounds);
    }

    /** The smoothed mean reward of the action over all strata. */
    public double actionMean(int action) {
        return actionMeans[action];
    }

    @Override
    public double predict(LoggedRound round, int action) {
        double[] means = stratumMeans.get(stratum.applyAsInt(round));
        return means == null ? actionMeans[action] : means[action];
    }

    private static final class RewardSums {
        private final double[] sums;
        private final long[] counts;

        RewardSums(int actions) {
            sums = new double[actions];
            counts = new long[actions];
        }

        void add(LoggedRound round) {
            sums[round.action()] += round.reward();
            counts[round.action()]++;
        }

        double[] smoothedMeans(IntToDoubleFunction prior, double priorRounds) {
            double[] means = new double[sums.length];
            for (int a = 0; a < sums.length; a++) {
                means[a] = (sums[a] + priorRounds * prior.applyAsDouble(a)) / (counts[a] + priorRounds);
            }
            return means;
        }
    }
}
