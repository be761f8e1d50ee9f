package io.personalize.udfs.decision;

import io.personalize.udfs.bandit.LinearBandit;
import java.io.Serializable;
import java.time.Duration;

/**
 * The policy's configurable rules: the actions it may take (NO_ACTION always), the frequency cap and cool-down of messages, suppression after
 * a purchase or a negative review, the confidence below which a personalized decision is not sent
 * as is, and the bandit (which variant it decides for, its exploration, the attribution window of
 * its rewards).
 */
public record PolicyRules(java.util.Set<io.personalize.schema.Action> actions, int maxMessagesPerDay, Duration messageCooldown, Duration suppressAfterPurchase,
        Duration suppressAfterNegativeReview, double minConfidence, LowConfidence lowConfidence, String banditVariant,
        LinearBandit.Settings bandit, Duration attributionWindow) implements Serializable {

    /** What happens to a personalized decision below the confidence threshold. */
    public enum LowConfidence {
        /** The user gets the non-personalized default. */
        DEFAULT,
        /** The user gets the default, and the personalized decision goes to the review topic. */
        REVIEW
    }

    public PolicyRules {
        actions = actions.isEmpty() ? java.util.EnumSet.noneOf(io.personalize.schema.Action.class)
                : java.util.EnumSet.copyOf(actions);
        actions.add(io.personalize.schema.Action.NO_ACTION); // doing nothing is always allowed
        if (maxMessagesPerDay < 0) {
            throw new IllegalArgumentException("max messages per day must be >= 0, got " + maxMessagesPerDay);
        }
        if (!(minConfidence >= 0 && minConfidence <= 1)) {
            throw new IllegalArgumentException("min confidence must be in [0, 1], got " + minConfidence);
        }
        for (Duration d : new Duration[] {messageCooldown, suppressAfterPurchase, suppressAfterNegativeReview,
                attributionWindow}) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("durations must not be negative, got " + d);
            }
        }
    }

    public static PolicyRules defaults() {
        return new PolicyRules(java.util.EnumSet.allOf(io.personalize.schema.Action.class), 2, Duration.ofDays(3), Duration.ofDays(7), Duration.ofDays(14), 0.0,
                LowConfidence.DEFAULT, "bandit", new LinearBandit.Settings(1.0, 0.5, 0.1), Duration.ofHours(1));
    }
}
