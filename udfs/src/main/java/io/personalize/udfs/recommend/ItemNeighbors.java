package io.personalize.udfs.recommend;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One item's co-occurrence counts: how often it was bought or viewed, and the items seen with it
 * most often, bounded to {@link #MAX_NEIGHBORS} with the space-saving rule (a new neighbor replaces
 * the least counted one and inherits its count), so the memory per item is fixed. A POJO, so it can
 * be Flink state.
 */
public class ItemNeighbors {
    public static final int MAX_NEIGHBORS = 64;

    public long occurrences;
    public String[] items = new String[0];
    public int[] counts = new int[0];

    public ItemNeighbors() {}

    public int countOf(String item) {
        for (int i = 0; i < items.length; i++) {
            if (items[i].equals(item)) {
                return counts[i];
            }
        }
        return 0;
    }

    /** Adds {@code count} co-occurrences with {@code item}. */
    public void add(String item, int count) {
        for (int i = 0; i < items.length; i++) {
            if (items[i].equals(item)) {
                counts[i] += count;
                return;
            }
        }
        if (items.length < MAX_NEIGHBORS) {
            items = Arrays.copyOf(items, items.length + 1);
            counts = Arrays.copyOf(counts, counts.length + 1);
            items[items.length - 1] = item;
            counts[counts.length - 1] = count;
            return;
        }
        int min = 0;
        for (int i = 1; i < counts.length; i++) {
            if (counts[i] < counts[min]) {
                min = i;
            }
        }
        items[min] = item;
        counts[min] += count;
    }

    /** This item's counts plus another's (base plus stream updates); neither is changed. */
    public static ItemNeighbors sum(ItemNeighbors a, ItemNeighbors b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        ItemNeighbors out = new ItemNeighbors();
        out.occurrences = a.occurrences + b.occurrences;
        out.items = Arrays.copyOf(a.items, a.items.length + b.items.length);
        out.counts = Arrays.copyOf(a.counts, a.counts.length + b.counts.length);
        // a's items by position: this runs for each of a user's items on every event, and a scan of
        // a for each of b's items (up to 64 x 64 string comparisons) was most of candidate generation
        Map<String, Integer> positions = new HashMap<>(a.items.length * 2);
        for (int i = 0; i < a.items.length; i++) {
            positions.put(a.items[i], i);
        }
        int n = a.items.length;
        for (int j = 0; j < b.items.length; j++) {
            Integer i = positions.get(b.items[j]);
            if (i != null) {
                out.counts[i] += b.counts[j];
            } else {
                out.items[n] = b.items[j];
                out.counts[n] = b.counts[j];
                n++;
            }
        }
        out.items = Arrays.copyOf(out.items, n);
        out.counts = Arrays.copyOf(out.counts, n);
        return out;
    }
}
