package io.personalize.udfs.bandit;

import java.util.function.ToIntFunction;

/** The policy to evaluate off-policy: a distribution over its {@code actions} actions for each logged round. */
public record TargetPolicy(int actions, Distribution distribution) {
    /** The probability of an action in the round's context and slot; over all actions they sum to 1. */
    @FunctionalInterface
    public interface Distribution {
        double probability(LoggedRound round, int action);
    }

    public TargetPolicy {
        if (actions < 1) {
            throw new IllegalArgumentException("a policy needs at least one action, got " + actions);
        }
    }

    public static TargetPolicy uniform(int actions) {
        return new TargetPolicy(actions, (round, action) -> 1.0 / actions);
    }

    /** Always the action {@code choice} picks for the round. */
    public static TargetPolicy deterministic(int actions, ToIntFunction<LoggedRound> choice) {
        return new TargetPolicy(actions, (round, action) -> action == choice.applyAsInt(round) ? 1 : 0);
    }

    public double probability(LoggedRound round, int action) {
        return distribution.probability(round, action);
    }
}
