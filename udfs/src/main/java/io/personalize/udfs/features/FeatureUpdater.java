package io.personalize.udfs.features;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.util.Arrays;

/**
 * The one definition of how an event changes a user's features. The streaming operator, the model
 * training and the backtests all call this, so what a model was trained on is what it is served.
 */
public final class FeatureUpdater {
    public static final long DECAY_HALF_LIFE_MS = 30L * 24 * 3600 * 1000;
    public static final int MAX_RECENT_ITEMS = 20;
    public static final int MAX_AFFINITY_ITEMS = 30;

    private static final double LN2 = Math.log(2);

    /** Affinity an event adds to its item, by event type. */
    private static final double[] AFFINITY_WEIGHT = new double[EventType.values().length];

    static {
        AFFINITY_WEIGHT[EventType.VIEW.ordinal()] = 1;
        AFFINITY_WEIGHT[EventType.CLICK.ordinal()] = 2;
        AFFINITY_WEIGHT[EventType.ADD_TO_CART.ordinal()] = 4;
        AFFINITY_WEIGHT[EventType.PURCHASE.ordinal()] = 8;
        AFFINITY_WEIGHT[EventType.REVIEW.ordinal()] = 2;
        AFFINITY_WEIGHT[EventType.SEARCH.ordinal()] = 0;
    }

    private FeatureUpdater() {}

    public static void apply(UserFeatures f, UserEvent e) {
        long t = e.getEventTime();
        int type = e.getEventType().ordinal();
        f.countByType[type]++;
        f.lastTimeByType[type] = Math.max(f.lastTimeByType[type], t);
        f.firstEventTime = f.firstEventTime == 0 ? t : Math.min(f.firstEventTime, t);
        f.lastEventTime = Math.max(f.lastEventTime, t);

        decayTo(f, t);
        // an event older than the decay clock (out of order) counts with the decay it has already had
        double weight = decayFactor(f.decayedAt - t);
        if (e.getEventType() == EventType.PURCHASE) {
            double amount = e.getPrice() * e.getQuantity();
            f.totalSpend += amount;
            f.decayedSpend += amount * weight;
            String orderKey = e.getSessionId() != null ? e.getSessionId() : Long.toString(t);
            if (!orderKey.equals(f.lastOrderKey)) {
                f.orders++;
                f.decayedOrders += weight;
                if (f.lastOrderTime > 0 && t > f.lastOrderTime) {
                    f.lastOrderGap = t - f.lastOrderTime;
                }
                f.lastOrderKey = orderKey;
                f.lastOrderTime = Math.max(f.lastOrderTime, t);
            }
        }
        String item = e.getItemId();
        if (item != null && !item.isEmpty()) {
            f.recentItems = pushFront(f.recentItems, item, MAX_RECENT_ITEMS);
            if (AFFINITY_WEIGHT[type] > 0) {
                addAffinity(f, item, AFFINITY_WEIGHT[type] * weight);
            }
        }
    }

    /** Moves the decay clock forward to t, decaying every decayed sum; never backwards. */
    private static void decayTo(UserFeatures f, long t) {
        if (f.decayedAt == 0) {
            f.decayedAt = t;
        } else if (t > f.decayedAt) {
            double k = decayFactor(t - f.decayedAt);
            f.decayedSpend *= k;
            f.decayedOrders *= k;
            decayAffinity(f, k);
            f.decayedAt = t;
        }
    }

    private static void addAffinity(UserFeatures f, String item, double weight) {
        int n = f.affinityItems.length;
        int at = -1;
        for (int i = 0; i < n; i++) {
            if (item.equals(f.affinityItems[i])) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            if (n < MAX_AFFINITY_ITEMS) {
                f.affinityItems = Arrays.copyOf(f.affinityItems, n + 1);
                f.affinityScores = Arrays.copyOf(f.affinityScores, n + 1);
                at = n;
            } else if (weight > f.affinityScores[n - 1]) {
                at = n - 1; // replaces the weakest
            } else {
                return;
            }
            f.affinityItems[at] = item;
            f.affinityScores[at] = weight;
        } else {
            f.affinityScores[at] += weight;
        }
        // keep sorted, highest first: a score only grows, so the entry only moves towards the front
        while (at > 0 && f.affinityScores[at] > f.affinityScores[at - 1]) {
            swap(f, at, at - 1);
            at--;
        }
    }

    private static void decayAffinity(UserFeatures f, double k) {
        for (int i = 0; i < f.affinityScores.length; i++) {
            f.affinityScores[i] *= k;
        }
    }

    private static void swap(UserFeatures f, int i, int j) {
        String item = f.affinityItems[i];
        f.affinityItems[i] = f.affinityItems[j];
        f.affinityItems[j] = item;
        double score = f.affinityScores[i];
        f.affinityScores[i] = f.affinityScores[j];
        f.affinityScores[j] = score;
    }

    static double decayFactor(long elapsedMs) {
        return Math.exp(-LN2 * Math.max(0, elapsedMs) / DECAY_HALF_LIFE_MS);
    }

    private static String[] pushFront(String[] items, String item, int max) {
        int existing = -1;
        for (int i = 0; i < items.length; i++) {
            if (item.equals(items[i])) {
                existing = i;
                break;
            }
        }
        String[] out;
        if (existing >= 0) {
            out = items;
            System.arraycopy(out, 0, out, 1, existing);
        } else {
            out = new String[Math.min(items.length + 1, max)];
            System.arraycopy(items, 0, out, 1, out.length - 1);
        }
        out[0] = item;
        return out;
    }
}
