package io.personalize.udfs.recommend;

/** Items in rank order, best first. */
public interface ItemRanking {
    int size();

    String item(int rank);

    /** The item's rank, best 0, or -1 when it is not ranked. */
    int rankOf(String item);
}
