package io.personalize.udfs.features;

import io.personalize.schema.EventType;

/**
 * Everything the engine keeps about one user, in keyed state. A Flink POJO (public fields,
 * primitive and String arrays only) so it is serialized without Kryo and can gain fields in later
 * versions without losing savepoints.
 */
public class UserFeatures {
    /** Events seen, indexed by {@link EventType#ordinal()}. */
    public long[] countByType = new long[EventType.values().length];
    /** Event time of the latest event of each type, 0 when none. */
    public long[] lastTimeByType = new long[EventType.values().length];
    public long firstEventTime;
    public long lastEventTime;

    /** Distinct purchase orders (PURCHASE events grouped by session id, or by time when there is none). */
    public long orders;
    public String lastOrderKey;
    public long lastOrderTime;
    /** Gap between the latest order and the one before it, in ms; 0 until there are two orders. */
    public long lastOrderGap;
    public double totalSpend;
    /** Spend and orders with exponential decay (half-life {@link FeatureUpdater#DECAY_HALF_LIFE_MS}). */
    public double decayedSpend;
    public double decayedOrders;
    public long decayedAt;

    /** Most recently seen items, newest first. */
    public String[] recentItems = new String[0];
    /** Items by decayed affinity, highest first, at most {@link FeatureUpdater#MAX_AFFINITY_ITEMS}. */
    public String[] affinityItems = new String[0];
    public double[] affinityScores = new double[0];

    public UserFeatures() {}
}
