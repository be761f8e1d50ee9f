package io.personalize.udfs.features;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.util.Arrays;

/**
 * The one definition of how an event changes a user's features. The streaming operator, the model
 * training and the backtests all call this, so what a model was trained on is what it is served.
 * Every update is O(1): a bounded number of buckets, items and categories.
 */
public final class FeatureUpdater {
    public static final long DECAY_HALF_LIFE_MS = 30L * 24 * 3600 * 1000;
    public static final long SESSION_GAP_MS = 30L * 60 * 1000;
    public static final int MAX_RECENT_ITEMS = 10;
    public static final int MAX_AFFINITY_ITEMS = 20;
    public static final int MAX_AFFINITY_CATEGORIES = 10;
    public static final int MAX_PURCHASED_ITEMS = 50;

    private static final double LN2 = Math.log(2);
    private static final int TYPES = EventType.values().length;
    private static final int AMOUNTS = 2; // cart value, purchase value

    /** Affinity an event adds to its item and category, by event type. */
    private static final double[] AFFINITY_WEIGHT = new double[TYPES];

    static {
        AFFINITY_WEIGHT[EventType.VIEW.ordinal()] = 1;
        AFFINITY_WEIGHT[EventType.CLICK.ordinal()] = 2;
        AFFINITY_WEIGHT[EventType.ADD_TO_CART.ordinal()] = 4;
        AFFINITY_WEIGHT[EventType.PURCHASE.ordinal()] = 8;
        AFFINITY_WEIGHT[EventType.REVIEW.ordinal()] = 2;
        AFFINITY_WEIGHT[EventType.SEARCH.ordinal()] = 0;
    }

    private FeatureUpdater() {}

    /**
     * Applies one event. Events may come in any order: counts, sums, recency and affinities are
     * order-independent, and a window takes an older event as long as it still holds the event's
     * bucket.
     *
     * @return a bit mask of the windows that no longer held the event's bucket (bit i = window i of
     *     {@link FeatureWindows#NAMES}); 0 when every window took it
     */
    public static int apply(UserFeatures f, UserEvent e) {
        long t = e.getEventTime();
        EventType eventType = e.getEventType();
        int type = eventType.ordinal();
        f.countByType[type]++;
        f.lastTimeByType[type] = Math.max(f.lastTimeByType[type], t);
        f.firstEventTime = f.firstEventTime == 0 ? t : Math.min(f.firstEventTime, t);
        if (e.getContext() != null && t >= f.lastEventTime) {
            f.lastDevice = e.getContext().getDevice() != null ? e.getContext().getDevice() : f.lastDevice;
            f.lastCountry = e.getContext().getCountry() != null ? e.getContext().getCountry() : f.lastCountry;
        }
        f.lastEventTime = Math.max(f.lastEventTime, t);
        updateSession(f, t);

        decayTo(f, t);
        // an event older than the decay clock (out of order) counts with the decay it has already had
        double weight = decayFactor(f.decayedAt - t);
        double amount = 0;
        if (eventType == EventType.PURCHASE || eventType == EventType.ADD_TO_CART) {
            amount = (e.getPrice() == null ? 0 : e.getPrice()) * (e.getQuantity() == null ? 0 : e.getQuantity());
        }
        String item = e.getItemId();
        boolean hasItem = item != null && !item.isEmpty();
        if (eventType == EventType.PURCHASE) {
            recordPurchase(f, e, t, amount, weight);
            if (hasItem) {
                f.recentPurchases = pushFront(f.recentPurchases, item, MAX_RECENT_ITEMS);
                countPurchase(f, item, t);
            }
        }
        if (hasItem) {
            f.recentItems = pushFront(f.recentItems, item, MAX_RECENT_ITEMS);
            if (AFFINITY_WEIGHT[type] > 0) {
                Ranked items = addScore(f.affinityItems, f.affinityScores, item,
                        AFFINITY_WEIGHT[type] * weight, MAX_AFFINITY_ITEMS);
                f.affinityItems = items.names;
                f.affinityScores = items.scores;
            }
        }
        String category = e.getCategory();
        if (category != null && !category.isEmpty() && AFFINITY_WEIGHT[type] > 0) {
            Ranked categories = addScore(f.affinityCategories, f.categoryScores, category,
                    AFFINITY_WEIGHT[type] * weight, MAX_AFFINITY_CATEGORIES);
            f.affinityCategories = categories.names;
            f.categoryScores = categories.scores;
        }
        int sketchBit = -1;
        if (hasItem && FeatureWindows.SKETCH_SLOT[type] >= 0) {
            sketchBit = FeatureWindows.SKETCH_SLOT[type] * FeatureWindows.SKETCH_BITS
                    + (mix(item.hashCode()) & (FeatureWindows.SKETCH_BITS - 1));
        }
        int missed = 0;
        for (int w = 0; w < FeatureWindows.COUNT; w++) {
            if (!addToWindow(f, w, t, type, eventType == EventType.PURCHASE ? 1 : 0, (float) amount, sketchBit)) {
                missed |= 1 << w;
            }
        }
        return missed;
    }

    private static void recordPurchase(UserFeatures f, UserEvent e, long t, double amount, double weight) {
        f.totalSpend += amount;
        f.purchasedUnits += e.getQuantity() == null ? 0 : e.getQuantity();
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

    /** Re-purchase counters, the Bloom filter of bought items and the most-bought list. */
    private static void countPurchase(UserFeatures f, String item, long t) {
        if (PurchasedItems.mightContain(f.purchasedItemBits, item)) {
            f.repeatPurchaseLines++;
        } else {
            f.distinctPurchasedItems++;
            f.purchasedItemBits = PurchasedItems.add(f.purchasedItemBits, item);
        }
        // state restored from before these fields existed may hold nulls
        String[] names = f.purchasedItems == null ? new String[0] : f.purchasedItems;
        int[] counts = f.purchasedCounts != null && f.purchasedCounts.length == names.length
                ? f.purchasedCounts : new int[names.length];
        int[] hours = f.purchasedHours != null && f.purchasedHours.length == names.length
                ? f.purchasedHours : new int[names.length];
        int hour = (int) (t / 3_600_000L);
        int n = names.length;
        int at = indexOf(names, item);
        if (at < 0) {
            if (n < MAX_PURCHASED_ITEMS) {
                names = Arrays.copyOf(names, n + 1);
                counts = Arrays.copyOf(counts, n + 1);
                hours = Arrays.copyOf(hours, n + 1);
                at = n;
            } else {
                at = n - 1; // the least bought, least recently
            }
            names[at] = item;
            counts[at] = 1;
            hours[at] = hour;
        } else {
            counts[at]++;
            hours[at] = Math.max(hours[at], hour);
        }
        // moves ahead of every item bought as often or less: ties are ordered most recent first
        while (at > 0 && counts[at] >= counts[at - 1]) {
            String swapName = names[at];
            names[at] = names[at - 1];
            names[at - 1] = swapName;
            int swapCount = counts[at];
            counts[at] = counts[at - 1];
            counts[at - 1] = swapCount;
            int swapHour = hours[at];
            hours[at] = hours[at - 1];
            hours[at - 1] = swapHour;
            at--;
        }
        f.purchasedItems = names;
        f.purchasedCounts = counts;
        f.purchasedHours = hours;
    }

    private static void updateSession(UserFeatures f, long t) {
        if (f.sessionEvents == 0 || t - f.sessionLastEvent > SESSION_GAP_MS) {
            if (f.sessionEvents > 0) {
                f.previousSessionGap = t - f.sessionLastEvent;
            }
            f.sessions++;
            f.sessionStart = t;
            f.sessionLastEvent = t;
            f.sessionEvents = 1;
        } else if (t >= f.sessionStart - SESSION_GAP_MS) {
            f.sessionEvents++;
            f.sessionStart = Math.min(f.sessionStart, t);
            f.sessionLastEvent = Math.max(f.sessionLastEvent, t);
        }
        // else: an out-of-order event of an earlier session; the lifetime counters have it
    }

    /**
     * Adds the event to its bucket of one window. A newer bucket moves the window forward and
     * drops the buckets that fell out of it.
     *
     * @return false when the window no longer holds the event's bucket
     */
    private static boolean addToWindow(UserFeatures f, int w, long t, int type, int amountSlot, float amount,
            int sketchBit) {
        long bucket = FeatureWindows.bucketOf(w, t);
        if (bucket > f.windowNewestBucket[w]) {
            f.windowNewestBucket[w] = bucket;
            dropBucketsBefore(f, w, FeatureWindows.oldestHeld(w, bucket));
        } else if (bucket < FeatureWindows.oldestHeld(w, f.windowNewestBucket[w])) {
            return false;
        }
        long key = FeatureWindows.key(w, bucket);
        int at = indexOf(f.bucketKeys, key);
        if (at < 0) {
            at = appendBucket(f, key);
        }
        f.bucketCounts[at * TYPES + type]++;
        if (amount != 0) {
            f.bucketAmounts[at * AMOUNTS + amountSlot] += amount;
        }
        if (sketchBit >= 0) {
            f.bucketItemSketches[at] |= 1L << sketchBit;
        }
        return true;
    }

    private static int indexOf(long[] keys, long key) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == key) {
                return i;
            }
        }
        return -1;
    }

    private static int appendBucket(UserFeatures f, long key) {
        int n = f.bucketKeys.length;
        f.bucketKeys = Arrays.copyOf(f.bucketKeys, n + 1);
        f.bucketKeys[n] = key;
        f.bucketCounts = Arrays.copyOf(f.bucketCounts, (n + 1) * TYPES);
        f.bucketAmounts = Arrays.copyOf(f.bucketAmounts, (n + 1) * AMOUNTS);
        f.bucketItemSketches = Arrays.copyOf(f.bucketItemSketches, n + 1);
        return n;
    }

    private static void dropBucketsBefore(UserFeatures f, int w, long oldestKept) {
        int n = f.bucketKeys.length;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            long key = f.bucketKeys[i];
            if (FeatureWindows.windowOf(key) == w && FeatureWindows.bucketOfKey(key) < oldestKept) {
                continue;
            }
            if (kept != i) {
                f.bucketKeys[kept] = key;
                System.arraycopy(f.bucketCounts, i * TYPES, f.bucketCounts, kept * TYPES, TYPES);
                System.arraycopy(f.bucketAmounts, i * AMOUNTS, f.bucketAmounts, kept * AMOUNTS, AMOUNTS);
                f.bucketItemSketches[kept] = f.bucketItemSketches[i];
            }
            kept++;
        }
        if (kept != n) {
            f.bucketKeys = Arrays.copyOf(f.bucketKeys, kept);
            f.bucketCounts = Arrays.copyOf(f.bucketCounts, kept * TYPES);
            f.bucketAmounts = Arrays.copyOf(f.bucketAmounts, kept * AMOUNTS);
            f.bucketItemSketches = Arrays.copyOf(f.bucketItemSketches, kept);
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
            scale(f.affinityScores, k);
            scale(f.categoryScores, k);
            f.decayedAt = t;
        }
    }

    private record Ranked(String[] names, double[] scores) {}

    private static int indexOf(String[] names, String name) {
        for (int i = 0; i < names.length; i++) {
            if (name.equals(names[i])) {
                return i;
            }
        }
        return -1;
    }

    /** Adds weight to a name's score in a list kept sorted by score, highest first, at most max long. */
    private static Ranked addScore(String[] names, double[] scores, String name, double weight, int max) {
        int n = names.length;
        int at = indexOf(names, name);
        if (at < 0) {
            if (n < max) {
                names = Arrays.copyOf(names, n + 1);
                scores = Arrays.copyOf(scores, n + 1);
                at = n;
            } else if (weight > scores[n - 1]) {
                at = n - 1; // replaces the weakest
            } else {
                return new Ranked(names, scores);
            }
            names[at] = name;
            scores[at] = weight;
        } else {
            scores[at] += weight;
        }
        // a score only grows, so the entry only moves towards the front
        while (at > 0 && scores[at] > scores[at - 1]) {
            String swapName = names[at];
            names[at] = names[at - 1];
            names[at - 1] = swapName;
            double swapScore = scores[at];
            scores[at] = scores[at - 1];
            scores[at - 1] = swapScore;
            at--;
        }
        return new Ranked(names, scores);
    }

    private static void scale(double[] values, double k) {
        for (int i = 0; i < values.length; i++) {
            values[i] *= k;
        }
    }

    static double decayFactor(long elapsedMs) {
        return Math.exp(-LN2 * Math.max(0, elapsedMs) / DECAY_HALF_LIFE_MS);
    }

    /** MurmurHash3's 32-bit finalizer: spreads String.hashCode (stable across JVMs) over all bits. */
    static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
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
