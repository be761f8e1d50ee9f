package io.personalize.udfs.features;

import io.personalize.schema.EventType;
import java.util.List;

/**
 * The numeric model input derived from a user's features at a point in time. Shared by training
 * and serving; {@link #NAMES} is written into every model's metadata and checked when it loads.
 */
public final class FeatureVector {
    private static final double DAY_MS = 24.0 * 3600 * 1000;

    public static final List<String> NAMES = List.of(
            "orders",
            "purchase_lines",
            "total_spend",
            "avg_order_value",
            "decayed_spend",
            "decayed_orders",
            "days_since_first_event",
            "days_since_previous_order",
            "last_order_gap_days",
            "views",
            "clicks",
            "add_to_carts",
            "reviews",
            "searches",
            "distinct_affinity_items");

    public static final int SIZE = NAMES.size();

    private FeatureVector() {}

    /** The vector as of time {@code now}, after the event at {@code now} was applied. */
    public static float[] of(UserFeatures f, long now) {
        float[] v = new float[SIZE];
        long[] counts = f.countByType;
        v[0] = f.orders;
        v[1] = counts[EventType.PURCHASE.ordinal()];
        v[2] = (float) f.totalSpend;
        v[3] = f.orders == 0 ? 0f : (float) (f.totalSpend / f.orders);
        double decay = FeatureUpdater.decayFactor(now - f.decayedAt);
        v[4] = (float) (f.decayedSpend * decay);
        v[5] = (float) (f.decayedOrders * decay);
        v[6] = f.firstEventTime == 0 ? 0f : (float) ((now - f.firstEventTime) / DAY_MS);
        v[7] = f.lastOrderTime == 0 ? -1f : (float) ((now - f.lastOrderTime) / DAY_MS);
        v[8] = (float) (f.lastOrderGap / DAY_MS);
        v[9] = counts[EventType.VIEW.ordinal()];
        v[10] = counts[EventType.CLICK.ordinal()];
        v[11] = counts[EventType.ADD_TO_CART.ordinal()];
        v[12] = counts[EventType.REVIEW.ordinal()];
        v[13] = counts[EventType.SEARCH.ordinal()];
        v[14] = f.affinityItems.length;
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                v[i] = Float.NaN; // the models' "missing"; an infinity would make the whole batch fail
            }
        }
        return v;
    }
}
