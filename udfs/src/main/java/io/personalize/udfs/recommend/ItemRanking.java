package io.personalize.udfs.recommend;

/** Items in rank order, best first. */
public interface ItemRanking {
    int size();

    String item(int rank);

    /** The item's rank, best 0, or -1 when it is not ranked. */
    int rankOf(String item);

    /** Each item's rank (its first place), for a constant-time {@link #rankOf}. */
    static java.util.Map<String, Integer> ranks(String[] items) {
        java.util.Map<String, Integer> ranks = new java.util.HashMap<>(items.length * 2);
        for (int i = items.length - 1; i >= 0; i--) {
            ranks.put(items[i], i);
        }
        return ranks;
    }
}
