package io.personalize.udfs.recommend;

import java.util.Arrays;

/**
 * The most frequent items, kept incrementally: each update gives an item's new total and moves it
 * into place. A POJO, so it can be Flink state.
 */
public class TopItems implements ItemRanking {
    public int capacity;
    public String[] items = new String[0];
    public long[] counts = new long[0];
    /** {@link #rankOf} is called for every candidate of every event: ranks by item, rebuilt after a change. */
    private transient java.util.Map<String, Integer> ranks;

    public TopItems() {}

    public TopItems(int capacity) {
        this.capacity = capacity;
    }

    /** Records that {@code item} now has {@code total} occurrences. */
    public void update(String item, long total) {
        ranks = null;
        int at = indexOf(item);
        if (at < 0) {
            if (items.length < capacity) {
                items = Arrays.copyOf(items, items.length + 1);
                counts = Arrays.copyOf(counts, counts.length + 1);
                at = items.length - 1;
            } else if (capacity > 0 && total > counts[counts.length - 1]) {
                at = items.length - 1;
            } else {
                return;
            }
            items[at] = item;
        }
        counts[at] = total;
        while (at > 0 && (counts[at - 1] < counts[at]
                || (counts[at - 1] == counts[at] && items[at - 1].compareTo(items[at]) > 0))) {
            swap(at - 1, at);
            at--;
        }
        while (at + 1 < items.length && (counts[at + 1] > counts[at]
                || (counts[at + 1] == counts[at] && items[at + 1].compareTo(items[at]) < 0))) {
            swap(at, at + 1);
            at++;
        }
    }

    private void swap(int i, int j) {
        String item = items[i];
        items[i] = items[j];
        items[j] = item;
        long count = counts[i];
        counts[i] = counts[j];
        counts[j] = count;
    }

    private int indexOf(String item) {
        for (int i = 0; i < items.length; i++) {
            if (items[i].equals(item)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int size() {
        return items.length;
    }

    @Override
    public String item(int rank) {
        return items[rank];
    }

    @Override
    public int rankOf(String item) {
        if (ranks == null) {
            ranks = ItemRanking.ranks(items);
        }
        return ranks.getOrDefault(item, -1);
    }
}
