package io.personalize.udfs.experiment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GrowthBook's assignment arithmetic, as specified by the cross-SDK conformance suite
 * (cases.json: hash, getBucketRange, chooseVariation, inNamespace, getEqualWeights). Strings are
 * hashed by UTF-16 code unit like the JavaScript SDK's charCodeAt, so non-ASCII ids land in the
 * same buckets as in every other GrowthBook SDK.
 */
public final class GrowthBookHashing {
    private static final int FNV_OFFSET_BASIS = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private GrowthBookHashing() {}

    /** 32-bit FNV-1a over UTF-16 code units, as an unsigned value. */
    static long fnv1a32(String value) {
        int hash = FNV_OFFSET_BASIS;
        for (int i = 0; i < value.length(); i++) {
            hash ^= value.charAt(i);
            hash *= FNV_PRIME;
        }
        return Integer.toUnsignedLong(hash);
    }

    /** The user's position in [0, 1), or null for an unknown hash version. */
    public static Double hash(String seed, String value, int version) {
        if (version == 2) {
            return (fnv1a32(Long.toString(fnv1a32(seed + value))) % 10_000) / 10_000.0;
        }
        if (version == 1) {
            return (fnv1a32(value + seed) % 1_000) / 1_000.0;
        }
        return null;
    }

    public static double[] equalWeights(int numVariations) {
        if (numVariations <= 0) {
            return new double[0];
        }
        double[] weights = new double[numVariations];
        Arrays.fill(weights, 1.0 / numVariations);
        return weights;
    }

    /** [start, end) per variation; weights that are missing, mis-sized or do not sum to 1 become equal. */
    public static List<double[]> bucketRanges(int numVariations, double coverage, double[] weights) {
        double clampedCoverage = Math.max(0, Math.min(1, coverage));
        double[] equal = equalWeights(numVariations);
        double[] w = weights == null || weights.length != numVariations ? equal : weights;
        double total = 0;
        for (double x : w) {
            total += x;
        }
        if (total < 0.99 || total > 1.01) {
            w = equal;
        }
        List<double[]> ranges = new ArrayList<>(w.length);
        double cumulative = 0;
        for (double x : w) {
            double start = cumulative;
            cumulative += x;
            ranges.add(new double[] {start, start + clampedCoverage * x});
        }
        return ranges;
    }

    /** Index of the range holding n, or -1 when n falls outside every range (not in the experiment). */
    public static int chooseVariation(double n, List<double[]> ranges) {
        for (int i = 0; i < ranges.size(); i++) {
            double[] range = ranges.get(i);
            if (n >= range[0] && n < range[1]) {
                return i;
            }
        }
        return -1;
    }

    public static boolean inNamespace(String hashValue, String namespace, double start, double end) {
        Double n = hash("__" + namespace, hashValue, 1);
        return n != null && n >= start && n < end;
    }
}
