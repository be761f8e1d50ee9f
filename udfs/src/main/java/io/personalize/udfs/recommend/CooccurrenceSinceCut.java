package io.personalize.udfs.recommend;

import io.personalize.udfs.model.ModelRegistry;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The registry's co-occurrence index (counted up to its cut) plus what was counted since: the
 * rules the stream's candidate operator and offline scoring share. The counts since the cut live
 * in a {@link ItemCooccurrence.Store} the caller owns (broadcast state, or a heap map).
 */
public final class CooccurrenceSinceCut {
    private final CooccurrenceArtifact base;
    private final ItemCooccurrence.InMemory baseIndex;

    public CooccurrenceSinceCut(CooccurrenceArtifact base) {
        this.base = base;
        this.baseIndex = base.index();
    }

    /** The registry's current index. */
    public static CooccurrenceSinceCut loadCurrent(Path modelsDir) throws IOException {
        return new CooccurrenceSinceCut(CooccurrenceArtifact.read(
                new ModelRegistry(modelsDir).current(Recommender.COOCCURRENCE_MODEL, null).file()));
    }

    /** No index: everything comes from the counts since. */
    public static CooccurrenceSinceCut none() {
        return new CooccurrenceSinceCut(
                new CooccurrenceArtifact(Long.MIN_VALUE, new ItemCooccurrence.InMemory(Recommender.TOP_ITEMS)));
    }

    public CooccurrenceArtifact base() {
        return base;
    }

    /** True when the index already holds the update (its event is before the cut). */
    public boolean alreadyCounted(CooccurrenceUpdate update) {
        return update.eventTime < base.countedUntil;
    }

    /**
     * Counts the update into {@code counted} and returns the top items over both, {@code top} (null
     * before the first update: the index's own top items) updated in place or a new one.
     */
    public TopItems count(ItemCooccurrence.Store counted, TopItems top, CooccurrenceUpdate update) throws Exception {
        TopItems updated = top != null ? top : copy(base.top);
        updated.update(update.item, baseIndex.occurrences(update.item) + ItemCooccurrence.apply(counted, update));
        return updated;
    }

    /** The index plus the counts since. */
    public ItemCooccurrence.View view(ItemCooccurrence.View counted) {
        return ItemCooccurrence.sum(baseIndex, counted);
    }

    /** The most frequent items: {@code top} once something was counted, the index's own before. */
    public ItemRanking popular(TopItems top) {
        return top != null ? top : base.top;
    }

    private static TopItems copy(TopItems top) {
        TopItems copy = new TopItems(top.capacity);
        copy.items = top.items.clone();
        copy.counts = top.counts.clone();
        return copy;
    }
}
