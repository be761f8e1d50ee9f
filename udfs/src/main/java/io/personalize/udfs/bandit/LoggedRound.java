package io.personalize.udfs.bandit;

import java.util.Objects;

/**
 * One decision of a logging policy: the context it saw, the action it took in slot {@code position}
 * (0 when there is only one slot), the reward that followed, and the probability the logging policy
 * gave that action in that slot.
 */
public record LoggedRound(double[] context, int action, int position, double reward, double propensity) {
    public LoggedRound {
        Objects.requireNonNull(context, "context");
        if (action < 0) {
            throw new IllegalArgumentException("action must be >= 0, got " + action);
        }
        if (!Double.isFinite(reward)) {
            throw new IllegalArgumentException("reward must be finite, got " + reward);
        }
        if (!(propensity > 0 && propensity <= 1)) {
            throw new IllegalArgumentException("propensity must be in (0, 1], got " + propensity);
        }
    }
}
