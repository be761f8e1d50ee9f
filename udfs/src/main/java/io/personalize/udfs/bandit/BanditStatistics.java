package io.personalize.udfs.bandit;

import java.util.Arrays;

/**
 * Per-action ridge-regression sufficient statistics of a linear contextual bandit: for each action
 * a, A_a = sum of x x^T and b_a = sum of r x over the rounds it was played, with the round count and
 * reward sum. Every field is a sum, so statistics gathered on parallel subtasks add up exactly to
 * those of the whole stream ({@link #merge}); a learner that shares its totals back must merge only
 * what is new since, or rounds are counted twice. A Flink POJO, held in checkpointed state.
 */
public class BanditStatistics {
    /** K: actions are indices 0..K-1. */
    public int actions;
    /** d: length of every context vector, bias term included. */
    public int dimension;
    /** A, flattened: entry (i, j) of action a at {@code (a * d + i) * d + j}. */
    public double[] contextProducts;
    /** b, flattened: entry i of action a at {@code a * d + i}. */
    public double[] rewardWeightedContexts;
    public long[] counts;
    public double[] rewardSums;

    /** For Flink's POJO serializer only. */
    public BanditStatistics() {}

    public BanditStatistics(int actions, int dimension) {
        if (actions < 1 || dimension < 1) {
            throw new IllegalArgumentException("need at least one action and one dimension, got " + actions
                    + " actions of dimension " + dimension);
        }
        this.actions = actions;
        this.dimension = dimension;
        contextProducts = new double[actions * dimension * dimension];
        rewardWeightedContexts = new double[actions * dimension];
        counts = new long[actions];
        rewardSums = new double[actions];
    }

    /** Records that {@code action} was played in {@code context} and earned {@code reward}. */
    public void add(int action, double[] context, double reward) {
        checkAction(action, actions);
        checkContext(context, dimension);
        if (!Double.isFinite(reward)) {
            throw new IllegalArgumentException("reward must be finite, got " + reward);
        }
        int square = action * dimension * dimension;
        int row = action * dimension;
        for (int i = 0; i < dimension; i++) {
            for (int j = 0; j < dimension; j++) {
                contextProducts[square + i * dimension + j] += context[i] * context[j];
            }
            rewardWeightedContexts[row + i] += reward * context[i];
        }
        counts[action]++;
        rewardSums[action] += reward;
    }

    /** Adds the rounds of {@code other} to these. */
    public void merge(BanditStatistics other) {
        other.checkShape();
        if (other.actions != actions || other.dimension != dimension) {
            throw new IllegalArgumentException("cannot merge statistics of " + other.actions + " actions of dimension "
                    + other.dimension + " into " + actions + " actions of dimension " + dimension);
        }
        addInto(contextProducts, other.contextProducts);
        addInto(rewardWeightedContexts, other.rewardWeightedContexts);
        addInto(rewardSums, other.rewardSums);
        for (int a = 0; a < actions; a++) {
            counts[a] += other.counts[a];
        }
    }

    /** Rewards learned so far, over every action. */
    public long rounds() {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }

    public BanditStatistics copy() {
        BanditStatistics copy = new BanditStatistics();
        copy.actions = actions;
        copy.dimension = dimension;
        copy.contextProducts = contextProducts.clone();
        copy.rewardWeightedContexts = rewardWeightedContexts.clone();
        copy.counts = counts.clone();
        copy.rewardSums = rewardSums.clone();
        return copy;
    }

    /** A POJO filled field by field may not hold arrays of the sizes its K and d call for. */
    void checkShape() {
        if (actions < 1 || dimension < 1 || contextProducts == null
                || contextProducts.length != actions * dimension * dimension || rewardWeightedContexts == null
                || rewardWeightedContexts.length != actions * dimension || counts == null || counts.length != actions
                || rewardSums == null || rewardSums.length != actions) {
            throw new IllegalArgumentException(
                    "statistics of " + actions + " actions of dimension " + dimension + " hold arrays of other sizes");
        }
    }

    static void checkAction(int action, int actions) {
        if (action < 0 || action >= actions) {
            throw new IllegalArgumentException("action " + action + " out of range 0.." + (actions - 1));
        }
    }

    static void checkContext(double[] context, int dimension) {
        if (context.length != dimension) {
            throw new IllegalArgumentException(
                    "context has " + context.length + " values, the bandit's dimension is " + dimension);
        }
        for (int i = 0; i < dimension; i++) {
            if (!Double.isFinite(context[i])) {
                throw new IllegalArgumentException("context value " + i + " must be finite, got " + context[i]
                        + " in " + Arrays.toString(context));
            }
        }
    }

    private static void addInto(double[] sums, double[] more) {
        for (int i = 0; i < sums.length; i++) {
            sums[i] += more[i];
        }
    }
}
