package io.personalize.udfs.features;

/**
 * A fixed-size Bloom filter of the items a user has bought ({@link #BITS} bits, three hashes): it
 * tells a re-purchase from a new item with a few false "bought" answers for customers with hundreds
 * of items, never a false "new".
 */
public final class PurchasedItems {
    public static final int BITS = 1024;
    private static final int WORDS = BITS / 64;
    private static final int MASK = BITS - 1;

    private PurchasedItems() {}

    public static boolean mightContain(long[] bits, String item) {
        if (bits == null || bits.length != WORDS) {
            return false;
        }
        int h = FeatureUpdater.mix(item.hashCode());
        for (int k = 0; k < 3; k++) {
            int bit = (h >>> (10 * k)) & MASK;
            if ((bits[bit >>> 6] & (1L << bit)) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Adds the item; returns the (possibly new) array. */
    public static long[] add(long[] bits, String item) {
        if (bits == null || bits.length != WORDS) {
            bits = new long[WORDS];
        }
        int h = FeatureUpdater.mix(item.hashCode());
        for (int k = 0; k < 3; k++) {
            int bit = (h >>> (10 * k)) & MASK;
            bits[bit >>> 6] |= 1L << bit;
        }
        return bits;
    }
}
