package io.personalize.udfs.bandit;

import java.io.Serializable;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.DecompositionSolver;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Epsilon-greedy over LinUCB, fitted once from {@link BanditStatistics}: per action a ridge
 * regression theta_a = (lambda I + A_a)^-1 b_a, and the score of an action in context x is its
 * upper confidence bound theta_a.x + alpha sqrt(x^T (lambda I + A_a)^-1 x). With probability
 * 1 - epsilon the eligible action with the highest bound is played (the lowest index on ties),
 * otherwise an eligible action drawn uniformly, so the probability of every action is known exactly
 * and can be logged for off-policy evaluation.
 *
 * <p>Immutable: refit by building a new one from newer statistics.
 */
public final class LinearBandit implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * @param ridge lambda, the prior precision of theta; positive
     * @param exploration alpha, the width of the confidence bound in standard errors; 0 is greedy
     * @param epsilon share of decisions played uniformly at random among the eligible actions
     */
    public record Settings(double ridge, double exploration, double epsilon) implements Serializable {
        public Settings {
            if (!(ridge > 0) || Double.isInfinite(ridge)) {
                throw new IllegalArgumentException("ridge must be positive and finite, got " + ridge);
            }
            if (!(exploration >= 0) || Double.isInfinite(exploration)) {
                throw new IllegalArgumentException("exploration must be non-negative and finite, got " + exploration);
            }
            if (!(epsilon >= 0 && epsilon <= 1)) {
                throw new IllegalArgumentException("epsilon must be in [0, 1], got " + epsilon);
            }
        }
    }

    /**
     * A decision: the action played, the probability with which it was played, and the upper
     * confidence bound of every action (NaN for the ineligible ones).
     */
    public record Choice(int action, double probability, double[] upperBounds) {}

    private final Settings settings;
    private final int actions;
    private final int dimension;
    /** theta of action a at row a. */
    private final double[][] thetas;
    /** (lambda I + A_a)^-1 of action a, flattened row by row. */
    private final double[][] inverses;

    public LinearBandit(BanditStatistics statistics, Settings settings) {
        statistics.checkShape();
        this.settings = settings;
        actions = statistics.actions;
        dimension = statistics.dimension;
        thetas = new double[actions][];
        inverses = new double[actions][];
        int d = dimension;
        for (int a = 0; a < actions; a++) {
            RealMatrix regularized = MatrixUtils.createRealIdentityMatrix(d).scalarMultiply(settings.ridge());
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    regularized.addToEntry(i, j, statistics.contextProducts[(a * d + i) * d + j]);
                }
            }
            DecompositionSolver solver = new CholeskyDecomposition(regularized).getSolver();
            double[] b = Arrays.copyOfRange(statistics.rewardWeightedContexts, a * d, (a + 1) * d);
            thetas[a] = solver.solve(new ArrayRealVector(b, false)).toArray();
            RealMatrix inverse = solver.getInverse();
            inverses[a] = new double[d * d];
            for (int i = 0; i < d; i++) {
                System.arraycopy(inverse.getRow(i), 0, inverses[a], i * d, d);
            }
        }
    }

    public int actions() {
        return actions;
    }

    public int dimension() {
        return dimension;
    }

    /** The fitted coefficients of one action. */
    public double[] theta(int action) {
        BanditStatistics.checkAction(action, actions);
        return thetas[action].clone();
    }

    /**
     * Picks an action. The randomness is the caller's {@code uniform01}, a draw in [0, 1): below
     * epsilon it explores, and its position within [0, epsilon) picks the eligible action; from
     * epsilon up it plays the best bound. The caller derives it from the decision id (a hash mapped
     * to [0, 1)), so that a decision replayed after a failover against the same model is the same.
     *
     * @throws IllegalArgumentException when no action is eligible, or on a malformed argument
     */
    public Choice choose(double[] context, boolean[] eligible, double uniform01) {
        if (!(uniform01 >= 0 && uniform01 < 1)) {
            throw new IllegalArgumentException("uniform01 must be in [0, 1), got " + uniform01);
        }
        Scores scores = score(context, eligible);
        double epsilon = settings.epsilon();
        int action = scores.greedy;
        if (uniform01 < epsilon) {
            int[] candidates = scores.eligible;
            // rounding can carry a draw just below epsilon to candidates.length
            action = candidates[Math.min((int) (uniform01 / epsilon * candidates.length), candidates.length - 1)];
        }
        return new Choice(action, probabilities(scores)[action], scores.upperBounds);
    }

    /** The probability of each action under {@link #choose}; 0 for the ineligible ones. */
    public double[] probabilities(double[] context, boolean[] eligible) {
        return probabilities(score(context, eligible));
    }

    private record Scores(double[] upperBounds, int[] eligible, int greedy) {}

    private double[] probabilities(Scores scores) {
        double explore = settings.epsilon() / scores.eligible.length;
        double[] probabilities = new double[actions];
        for (int a : scores.eligible) {
            probabilities[a] = explore;
        }
        probabilities[scores.greedy] += 1 - settings.epsilon();
        return probabilities;
    }

    private Scores score(double[] context, boolean[] eligible) {
        BanditStatistics.checkContext(context, dimension);
        if (eligible.length != actions) {
            throw new IllegalArgumentException(
                    "eligibility given for " + eligible.length + " actions, the bandit has " + actions);
        }
        int[] candidates = IntStream.range(0, actions).filter(a -> eligible[a]).toArray();
        if (candidates.length == 0) {
            throw new IllegalArgumentException("no action is eligible");
        }
        double[] bounds = new double[actions];
        Arrays.fill(bounds, Double.NaN);
        int greedy = candidates[0];
        for (int a : candidates) {
            bounds[a] = upperBound(a, context);
            if (bounds[a] > bounds[greedy]) {
                greedy = a;
            }
        }
        return new Scores(bounds, candidates, greedy);
    }

    private double upperBound(int action, double[] x) {
        double[] theta = thetas[action];
        double[] inverse = inverses[action];
        double mean = 0;
        double variance = 0;
        for (int i = 0; i < dimension; i++) {
            mean += theta[i] * x[i];
            double row = 0;
            for (int j = 0; j < dimension; j++) {
                row += inverse[i * dimension + j] * x[j];
            }
            variance += x[i] * row;
        }
        // positive in exact arithmetic; rounding can take it just below 0 when A is ill-conditioned
        return mean + settings.exploration() * Math.sqrt(Math.max(0, variance));
    }
}
