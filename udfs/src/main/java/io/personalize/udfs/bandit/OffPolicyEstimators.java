package io.personalize.udfs.bandit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.commons.statistics.descriptive.Mean;
import org.apache.commons.statistics.descriptive.Sum;
import org.apache.commons.statistics.descriptive.SumOfSquares;
import org.apache.commons.statistics.descriptive.Variance;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * The value of a target policy (its mean reward per round) estimated from rounds another policy
 * logged, with the importance weights w = target probability / logged propensity of each logged
 * action:
 * <ul>
 *   <li>IPW, mean(w r): unbiased when the logging policy gives every action the target may take a
 *       propensity above 0, but with the variance of the weights;
 *   <li>SNIPW, sum(w r) / sum(w): slightly biased, usually far less variable when weights are large;
 *   <li>DR, mean(sum_a target(a) q(x, a) + w (r - q(x, a_logged))): the reward model's value corrected
 *       by the weighted residuals; unbiased for any q fitted on other rounds, and tighter than IPW
 *       the better q predicts the rewards.
 * </ul>
 * Standard errors come from the per-round terms (for SNIPW by the delta method for a ratio), and
 * the 95% intervals from the normal approximation.
 */
public final class OffPolicyEstimators {
    private static final double Z_95 = NormalDistribution.of(0, 1).inverseSurvivalProbability(0.025);
    private static final double SUM_TOLERANCE = 1e-6;

    private OffPolicyEstimators() {}

    /**
     * A policy value with its standard error and 95% normal interval. The effective sample size
     * (sum w)^2 / sum w^2 of the importance weights says how many rounds the estimate is really
     * worth; far below the number of rounds, a few heavy weights carry it.
     */
    public record Estimate(double value, double standardError, double ciLow, double ciHigh,
            double effectiveSampleSize) {
        static Estimate of(double value, double standardError, double effectiveSampleSize) {
            return new Estimate(value, standardError, value - Z_95 * standardError, value + Z_95 * standardError,
                    effectiveSampleSize);
        }
    }

    /** The logging policy's own value: the mean reward of the rounds. */
    public static Estimate onPolicy(List<LoggedRound> rounds) {
        requireRounds(rounds);
        double[] rewards = rounds.stream().mapToDouble(LoggedRound::reward).toArray();
        return meanOfTerms(rewards, rounds.size());
    }

    public static Estimate ipw(List<LoggedRound> rounds, TargetPolicy target) {
        double[] weights = weights(rounds, targetProbabilities(rounds, target));
        return meanOfTerms(weightedRewards(rounds, weights), effectiveSampleSize(weights));
    }

    /** NaN when the target gives every logged action probability 0 (no weight to normalize by). */
    public static Estimate snipw(List<LoggedRound> rounds, TargetPolicy target) {
        double[] weights = weights(rounds, targetProbabilities(rounds, target));
        double value = Sum.of(weightedRewards(rounds, weights)).getAsDouble() / Sum.of(weights).getAsDouble();
        // delta method for a ratio of means: var(value) ~ var(w (r - value)) / (n mean(w)^2)
        double[] residuals = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            residuals[i] = weights[i] * (rounds.get(i).reward() - value);
        }
        double se = Math.sqrt(Variance.of(residuals).getAsDouble() / weights.length) / Mean.of(weights).getAsDouble();
        return Estimate.of(value, se, effectiveSampleSize(weights));
    }

    /**
     * Cross-fitted: the reward model for the even-indexed rounds is fitted on the odd-indexed ones and
     * vice versa, so no round's residual is judged by a model that saw it (which would bias the
     * correction toward 0). Interleaving rather than first/second half keeps both halves spread over
     * the whole log when it drifts in time.
     */
    public static Estimate doublyRobust(List<LoggedRound> rounds, TargetPolicy target,
            Function<List<LoggedRound>, ? extends RewardModel> fitter) {
        if (rounds.size() < 2) {
            throw new IllegalArgumentException("the doubly robust estimate cross-fits on two halves of the rounds, "
                    + "so it needs at least 2, got " + rounds.size());
        }
        double[][] probabilities = targetProbabilities(rounds, target);
        double[] weights = weights(rounds, probabilities);
        List<LoggedRound> even = new ArrayList<>();
        List<LoggedRound> odd = new ArrayList<>();
        for (int i = 0; i < rounds.size(); i++) {
            (i % 2 == 0 ? even : odd).add(rounds.get(i));
        }
        RewardModel forEven = fitter.apply(odd);
        RewardModel forOdd = fitter.apply(even);
        double[] terms = new double[weights.length];
        for (int i = 0; i < terms.length; i++) {
            LoggedRound round = rounds.get(i);
            RewardModel q = i % 2 == 0 ? forEven : forOdd;
            double direct = 0;
            for (int a = 0; a < probabilities[i].length; a++) {
                direct += probabilities[i][a] * q.predict(round, a);
            }
            terms[i] = direct + weights[i] * (round.reward() - q.predict(round, round.action()));
        }
        return meanOfTerms(terms, effectiveSampleSize(weights));
    }

    private static Estimate meanOfTerms(double[] terms, double effectiveSampleSize) {
        double se = Math.sqrt(Variance.of(terms).getAsDouble() / terms.length);
        return Estimate.of(Mean.of(terms).getAsDouble(), se, effectiveSampleSize);
    }

    private static double effectiveSampleSize(double[] weights) {
        double sum = Sum.of(weights).getAsDouble();
        return sum * sum / SumOfSquares.of(weights).getAsDouble();
    }

    private static double[] weightedRewards(List<LoggedRound> rounds, double[] weights) {
        double[] weighted = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            weighted[i] = weights[i] * rounds.get(i).reward();
        }
        return weighted;
    }

    private static double[] weights(List<LoggedRound> rounds, double[][] probabilities) {
        double[] weights = new double[probabilities.length];
        for (int i = 0; i < weights.length; i++) {
            LoggedRound round = rounds.get(i);
            weights[i] = probabilities[i][round.action()] / round.propensity();
        }
        return weights;
    }

    /** The target's distribution for every round, checked: one probability per action, summing to 1. */
    private static double[][] targetProbabilities(List<LoggedRound> rounds, TargetPolicy target) {
        requireRounds(rounds);
        int actions = target.actions();
        double[][] probabilities = new double[rounds.size()][actions];
        for (int i = 0; i < rounds.size(); i++) {
            LoggedRound round = rounds.get(i);
            if (round.action() >= actions) {
                throw new IllegalArgumentException("round " + i + " logged action " + round.action()
                        + ", which the target policy (" + actions + " actions) does not have");
            }
            double sum = 0;
            for (int a = 0; a < actions; a++) {
                double p = target.probability(round, a);
                if (!(p >= 0 && p <= 1)) {
                    throw new IllegalArgumentException("round " + i + ": target probability of action " + a
                            + " is " + p + ", not in [0, 1]");
                }
                probabilities[i][a] = p;
                sum += p;
            }
            if (Math.abs(sum - 1) > SUM_TOLERANCE) {
                throw new IllegalArgumentException("round " + i + ": target probabilities sum to " + sum + ", not 1");
            }
        }
        return probabilities;
    }

    private static void requireRounds(List<LoggedRound> rounds) {
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException("no logged rounds to estimate from");
        }
    }
}
