package io.personalize.udfs.features;

import io.personalize.schema.EventType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The numeric model input derived from a user's features at a point in time. Shared by training
 * and serving; {@link #NAMES} is written into every model's metadata and checked when it loads.
 */
public final class FeatureVector {
    private static final double HOUR_MS = 3600.0 * 1000;
    private static final double DAY_MS = 24 * HOUR_MS;
    private static final int TYPES = EventType.values().length;

    public static final List<String> NAMES;
    public static final int SIZE;

    private static final int ORDERS = 0;
    private static final int RECENCY = 17;
    private static final int WINDOW_COUNTS = RECENCY + TYPES;
    private static final int WINDOW_AMOUNTS = WINDOW_COUNTS + FeatureWindows.COUNT * TYPES;
    private static final int WINDOW_DISTINCT = WINDOW_AMOUNTS + FeatureWindows.COUNT * 2;

    static {
        List<String> names = new ArrayList<>(List.of(
                "orders",
                "purchase_lines",
                "total_spend",
                "avg_order_value",
                "avg_units_per_order",
                "decayed_spend",
                "decayed_orders",
                "days_since_first_event",
                "days_since_previous_order",
                "last_order_gap_days",
                "distinct_affinity_items",
                "top_item_affinity",
                "distinct_affinity_categories",
                "session_events",
                "session_minutes",
                "previous_session_gap_hours",
                "sessions"));
        if (names.size() != RECENCY) {
            throw new IllegalStateException("RECENCY must be " + names.size());
        }
        for (EventType type : EventType.values()) {
            names.add("hours_since_last_" + lower(type));
        }
        for (String window : FeatureWindows.NAMES) {
            for (EventType type : EventType.values()) {
                names.add(lower(type) + "_count_" + window);
            }
        }
        for (String window : FeatureWindows.NAMES) {
            names.add("cart_value_" + window);
            names.add("purchase_value_" + window);
        }
        for (String window : FeatureWindows.NAMES) {
            for (EventType type : FeatureWindows.DISTINCT_ITEM_TYPES) {
                names.add("distinct_" + lower(type) + "_items_" + window);
            }
        }
        NAMES = List.copyOf(names);
        SIZE = NAMES.size();
    }

    private FeatureVector() {}

    private static String lower(EventType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    /** The vector right after an event was applied: as of the event, or of the user's clock if later. */
    public static float[] asOfEvent(UserFeatures f, io.personalize.schema.UserEvent event) {
        return of(f, Math.max(event.getEventTime(), f.lastEventTime));
    }

    /** The vector as of time {@code now} (at or after the user's latest event). */
    public static float[] of(UserFeatures f, long now) {
        float[] v = new float[SIZE];
        long[] counts = f.countByType;
        v[ORDERS] = f.orders;
        v[1] = counts[EventType.PURCHASE.ordinal()];
        v[2] = (float) f.totalSpend;
        v[3] = f.orders == 0 ? 0f : (float) (f.totalSpend / f.orders);
        v[4] = f.orders == 0 ? 0f : (float) f.purchasedUnits / f.orders;
        double decay = FeatureUpdater.decayFactor(now - f.decayedAt);
        v[5] = (float) (f.decayedSpend * decay);
        v[6] = (float) (f.decayedOrders * decay);
        v[7] = f.firstEventTime == 0 ? 0f : (float) ((now - f.firstEventTime) / DAY_MS);
        v[8] = f.lastOrderTime == 0 ? -1f : (float) ((now - f.lastOrderTime) / DAY_MS);
        v[9] = (float) (f.lastOrderGap / DAY_MS);
        v[10] = f.affinityItems.length;
        v[11] = f.affinityScores.length == 0 ? 0f : (float) (f.affinityScores[0] * decay);
        v[12] = f.affinityCategories.length;
        boolean inSession = f.sessionEvents > 0 && now - f.sessionLastEvent <= FeatureUpdater.SESSION_GAP_MS;
        v[13] = inSession ? f.sessionEvents : 0;
        v[14] = inSession ? (float) ((f.sessionLastEvent - f.sessionStart) / 60_000.0) : 0f;
        v[15] = (float) (f.previousSessionGap / HOUR_MS);
        v[16] = f.sessions;
        for (int type = 0; type < TYPES; type++) {
            long last = f.lastTimeByType[type];
            v[RECENCY + type] = last == 0 ? -1f : (float) ((now - last) / HOUR_MS);
        }
        addWindows(f, now, v);
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                v[i] = Float.NaN; // the models' "missing"; an infinity would make the whole batch fail
            }
        }
        return v;
    }

    private static void addWindows(UserFeatures f, long now, float[] v) {
        int[] sketches = new int[FeatureWindows.COUNT * FeatureWindows.DISTINCT_ITEM_TYPES.size()];
        long[] newest = new long[FeatureWindows.COUNT];
        for (int w = 0; w < FeatureWindows.COUNT; w++) {
            newest[w] = FeatureWindows.bucketOf(w, now);
        }
        for (int i = 0; i < f.bucketKeys.length; i++) {
            int w = FeatureWindows.windowOf(f.bucketKeys[i]);
            long bucket = FeatureWindows.bucketOfKey(f.bucketKeys[i]);
            if (bucket > newest[w] || bucket < FeatureWindows.oldestHeld(w, newest[w])) {
                continue;
            }
            for (int type = 0; type < TYPES; type++) {
                v[WINDOW_COUNTS + w * TYPES + type] += f.bucketCounts[i * TYPES + type];
            }
            v[WINDOW_AMOUNTS + w * 2] += f.bucketAmounts[i * 2];
            v[WINDOW_AMOUNTS + w * 2 + 1] += f.bucketAmounts[i * 2 + 1];
            long sketch = f.bucketItemSketches[i];
            for (int s = 0; s < FeatureWindows.DISTINCT_ITEM_TYPES.size(); s++) {
                sketches[w * FeatureWindows.DISTINCT_ITEM_TYPES.size() + s] |=
                        (int) (sketch >>> (s * FeatureWindows.SKETCH_BITS)) & 0xFFFF;
            }
        }
        for (int i = 0; i < sketches.length; i++) {
            v[WINDOW_DISTINCT + i] = sketches[i] == 0 ? 0f : (float) FeatureWindows.estimateDistinct(sketches[i]);
        }
    }

    /** The value of one named feature in a vector. */
    public static float get(float[] vector, String name) {
        int i = NAMES.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no feature " + name);
        }
        return vector[i];
    }
}
