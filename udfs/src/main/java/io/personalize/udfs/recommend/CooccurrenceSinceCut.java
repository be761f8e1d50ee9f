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
     * before the first update: the index's own top items) updated in place or a new one. An item's
     * counts since the cut start from a copy of the index's: {@code counted} holds the whole counts of
     * every item the stream touched, so they are those of one index counted on past the cut, as
     * training counts them (a sum of two bounded neighbour lists would hold up to twice as many
     * neighbours, and rows the ranker never saw in training).
     */
    public TopItems count(ItemCooccurrence.Store counted, TopItems top, CooccurrenceUpdate update) throws Exception {
        TopItems updated = top != null ? top : copy(base.top);
        updated.update(update.item, ItemCooccurrence.apply(new ItemCooccurrence.Store() {
            @Override
            public ItemNeighbors get(String item) throws Exception {
                ItemNeighbors since = counted.get(item);
                return since != null ? since : copy(baseIndex.get(item));
            }

            @Override
            public void put(String item, ItemNeighbors neighbors) throws Exception {
                counted.put(item, neighbors);
            }
        }, update));
        return updated;
    }

    /** An item's counts as the index's plus {@code since}, counted apart from them (the layout up to 0.1.0). */
    public ItemNeighbors continued(String item, ItemNeighbors since) {
        return ItemNeighbors.sum(copy(baseIndex.get(item)), since);
    }

    /** The counts: an item's from {@code counted} once the stream touched it, else the index's. */
    public ItemCooccurrence.View view(ItemCooccurrence.View counted) {
        return new ItemCooccurrence.View() {
            @Override
            public ItemNeighbors neighbors(String item) throws Exception {
                ItemNeighbors since = counted.neighbors(item);
                return since != null ? since : baseIndex.neighbors(item);
            }
        };
    }

    /** The most frequent items: {@code top} once something was counted, the index's own before. */
    public ItemRanking popular(TopItems top) {
        return top != null ? top : base.top;
    }

    private static ItemNeighbors copy(ItemNeighbors neighbors) {
        if (neighbors == null) {
            return null;
        }
        ItemNeighbors copy = new ItemNeighbors();
        copy.occurrences = neighbors.occurrences;
        copy.items = neighbors.items.clone();
        copy.counts = neighbors.counts.clone();
        return copy;
    }

    private static TopItems copy(TopItems top) {
        TopItems copy = new TopItems(top.capacity);
        copy.items = top.items.clone();
        copy.counts = top.counts.clone();
        return copy;
    }
}
