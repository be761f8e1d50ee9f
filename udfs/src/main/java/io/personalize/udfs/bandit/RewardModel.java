package io.personalize.udfs.bandit;

/** q(x, a): the expected reward of an action in a round's context, the direct part of the doubly robust estimate. */
@FunctionalInterface
public interface RewardModel {
    double predict(LoggedRound round, int action);
}
