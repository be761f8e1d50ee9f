package io.personalize.udfs.decision;

import io.personalize.schema.Action;
import java.util.Arrays;

/**
 * What the policy remembers per user (keyed state, a POJO): consent, the last purchase and negative
 * review, when each message was last sent and the recent sends (frequency cap), and the bandit
 * decision waiting for its reward. Times are event time, epoch ms.
 */
public class DecisionHistory {
    public static final long NEVER = Long.MIN_VALUE;

    public boolean optedOut;
    public long lastPurchaseAt = NEVER;
    public long lastNegativeReviewAt = NEVER;
    /** Per action (by ordinal): when it was last chosen. */
    public long[] lastActionAt;
    /** Send times of recent messages, newest last; at most the frequency cap's count are kept. */
    public long[] recentMessages;
    /** The bandit decision waiting for feedback: its action (-1: none), probability, context and time. */
    public int pendingAction = -1;
    public double pendingProbability;
    public double[] pendingContext;
    public long pendingAt = NEVER;
    public String pendingDecisionId;

    public DecisionHistory() {}

    public static DecisionHistory fresh() {
        DecisionHistory h = new DecisionHistory();
        h.lastActionAt = new long[Action.values().length];
        Arrays.fill(h.lastActionAt, NEVER);
        h.recentMessages = new long[0];
        return h;
    }

    public boolean isMessage(Action action) {
        return action == Action.SEND_RETENTION_OFFER || action == Action.SEND_REVIEW_FOLLOW_UP;
    }

    /** Messages sent within {@code windowMs} before {@code now}. */
    public int messagesSince(long now, long windowMs) {
        int n = 0;
        for (long t : recentMessages) {
            if (t > now - windowMs) {
                n++;
            }
        }
        return n;
    }

    public void recordAction(Action action, long now, int keepMessages) {
        lastActionAt[action.ordinal()] = now;
        if (isMessage(action)) {
            long[] kept = Arrays.copyOf(recentMessages, recentMessages.length + 1);
            kept[kept.length - 1] = now;
            recentMessages = kept.length > keepMessages
                    ? Arrays.copyOfRange(kept, kept.length - keepMessages, kept.length) : kept;
        }
    }

    public boolean hasPending() {
        return pendingAction >= 0;
    }

    public void clearPending() {
        pendingAction = -1;
        pendingContext = null;
        pendingAt = NEVER;
        pendingDecisionId = null;
    }
}
