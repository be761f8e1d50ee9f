package io.personalize.udfs.features;

import io.personalize.schema.EventType;
import java.util.ArrayList;
import java.util.List;

/**
 * The sliding windows of the per-user counters. Each window of length W is kept as B fixed time
 * buckets of W/B aligned to the epoch, so an update touches one bucket per window (O(1)) and the
 * state per user is bounded by the number of buckets. Read at time {@code now}, a window sums the B
 * buckets up to and including now's bucket: it covers between W - W/B and W of history.
 */
public final class FeatureWindows {
    private static final long MINUTE = 60_000L;
    private static final long HOUR = 60 * MINUTE;
    private static final long DAY = 24 * HOUR;

    public static final List<String> NAMES = List.of("5m", "1h", "24h", "7d", "30d");
    static final long[] BUCKET_MS = {MINUTE, 10 * MINUTE, 4 * HOUR, DAY, 5 * DAY};
    static final int[] BUCKETS = {5, 6, 6, 7, 6};
    public static final int COUNT = NAMES.size();
    /** Buckets held at most per user, over all windows. */
    public static final int MAX_BUCKETS = 30;

    /** Event types whose items are counted distinctly, in the order of their sketches. */
    static final List<EventType> DISTINCT_ITEM_TYPES =
            List.of(EventType.VIEW, EventType.CLICK, EventType.ADD_TO_CART, EventType.PURCHASE);
    /** Sketch slot of each event type (by ordinal), -1 when its items are not counted distinctly. */
    static final int[] SKETCH_SLOT = new int[EventType.values().length];
    /** Bits per distinct-items sketch: four fit in one long per bucket. */
    static final int SKETCH_BITS = 16;

    static {
        java.util.Arrays.fill(SKETCH_SLOT, -1);
        for (int i = 0; i < DISTINCT_ITEM_TYPES.size(); i++) {
            SKETCH_SLOT[DISTINCT_ITEM_TYPES.get(i).ordinal()] = i;
        }
        int total = 0;
        for (int b : BUCKETS) {
            total += b;
        }
        if (total != MAX_BUCKETS) {
            throw new IllegalStateException("MAX_BUCKETS must be " + total);
        }
    }

    private FeatureWindows() {}

    public static long bucketOf(int window, long time) {
        return Math.floorDiv(time, BUCKET_MS[window]);
    }

    /** The oldest bucket number a window read at {@code now} (or with its newest bucket at now) still holds. */
    static long oldestHeld(int window, long newestBucket) {
        return newestBucket - BUCKETS[window] + 1;
    }

    static long key(int window, long bucket) {
        return ((long) window << 56) | bucket;
    }

    static int windowOf(long key) {
        return (int) (key >>> 56);
    }

    static long bucketOfKey(long key) {
        return key & ((1L << 56) - 1);
    }

    /**
     * Linear-counting estimate of the distinct items behind a 16-bit sketch. Close for a handful of
     * items, within about 30% up to 30, and it saturates at 44 (every bit set).
     */
    static double estimateDistinct(int sketch) {
        int zeros = SKETCH_BITS - Integer.bitCount(sketch & 0xFFFF);
        if (zeros == 0) {
            return SKETCH_BITS * Math.log(SKETCH_BITS);
        }
        return -SKETCH_BITS * Math.log((double) zeros / SKETCH_BITS);
    }

    /** Names of the windows set in a bit mask (bit i = window i). */
    public static List<String> names(int windowMask) {
        List<String> names = new ArrayList<>();
        for (int w = 0; w < COUNT; w++) {
            if ((windowMask & (1 << w)) != 0) {
                names.add(NAMES.get(w));
            }
        }
        return names;
    }
}
