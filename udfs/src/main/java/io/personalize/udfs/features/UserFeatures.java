package io.personalize.udfs.features;

import io.personalize.schema.EventType;

/**
 * Everything the engine keeps about one user, in keyed state. A Flink POJO (public fields,
 * primitive and String arrays only) so it is serialized without Kryo and can gain fields in later
 * versions without losing savepoints. Every array is bounded, so a user's state is too.
 */
public class UserFeatures {
    /** Events seen, indexed by {@link EventType#ordinal()}. */
    public long[] countByType = new long[EventType.values().length];
    /** Event time of the latest event of each type, 0 when none. */
    public long[] lastTimeByType = new long[EventType.values().length];
    public long firstEventTime;
    /** The user's clock: the latest event time seen. Windows are read as of this time. */
    public long lastEventTime;

    /** Distinct purchase orders (PURCHASE events grouped by session id, or by time when there is none). */
    public long orders;
    public String lastOrderKey;
    public long lastOrderTime;
    /** Gap between the latest order and the one before it, in ms; 0 until there are two orders. */
    public long lastOrderGap;
    public double totalSpend;
    public long purchasedUnits;
    /** Spend and orders with exponential decay (half-life {@link FeatureUpdater#DECAY_HALF_LIFE_MS}). */
    public double decayedSpend;
    public double decayedOrders;
    public long decayedAt;

    /** Current session: events at most {@link FeatureUpdater#SESSION_GAP_MS} apart. */
    public long sessionStart;
    public long sessionLastEvent;
    public int sessionEvents;
    public int sessions;
    /** Time between the end of the previous session and the start of the current one. */
    public long previousSessionGap;

    /**
     * Time buckets of the sliding windows ({@link FeatureWindows}), sparse: only buckets with events
     * and still inside their window are held, at most {@link FeatureWindows#MAX_BUCKETS}. Parallel
     * arrays: the key (window and bucket number), six counts per bucket (by event type), the cart and
     * purchase amounts, and four 16-bit distinct-item sketches (view, click, cart, purchase).
     */
    public long[] bucketKeys = new long[0];
    public int[] bucketCounts = new int[0];
    public float[] bucketAmounts = new float[0];
    public long[] bucketItemSketches = new long[0];
    /** Newest bucket number each window has seen; older buckets beyond the window are dropped. */
    public long[] windowNewestBucket = new long[FeatureWindows.COUNT];

    /** Most recently seen and bought items, newest first. */
    public String[] recentItems = new String[0];
    public String[] recentPurchases = new String[0];
    /** Items by decayed affinity, highest first, at most {@link FeatureUpdater#MAX_AFFINITY_ITEMS}. */
    public String[] affinityItems = new String[0];
    public double[] affinityScores = new double[0];
    /** Categories by decayed affinity, highest first, at most {@link FeatureUpdater#MAX_AFFINITY_CATEGORIES}. */
    public String[] affinityCategories = new String[0];
    public double[] categoryScores = new double[0];

    /** The device and country of the latest event that had them (added in state version 2). */
    public String lastDevice;
    public String lastCountry;

    /**
     * Items by purchase lines, most bought first (ties: most recently bought first), at most
     * {@link FeatureUpdater#MAX_PURCHASED_ITEMS}; a new item replaces the last (added in state version 3).
     */
    public String[] purchasedItems = new String[0];
    public int[] purchasedCounts = new int[0];
    /** When each of {@link #purchasedItems} was last bought, in hours since the epoch (version 3). */
    public int[] purchasedHours = new int[0];
    /** A Bloom filter ({@link PurchasedItems}) of every item the user has bought (version 3). */
    public long[] purchasedItemBits = new long[0];
    /** Purchase lines of items the filter already held (re-purchases), and distinct items bought (version 3). */
    public long repeatPurchaseLines;
    public long distinctPurchasedItems;

    public UserFeatures() {}
}
