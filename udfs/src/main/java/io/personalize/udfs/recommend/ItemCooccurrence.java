package io.personalize.udfs.recommend;

import io.personalize.schema.EventType;
import io.personalize.udfs.features.FeaturizedEvent;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Item co-occurrence (co-purchase, co-view) counted incrementally from events: when a user buys
 * (or views) an item, it co-occurs with each of the user's previous distinct purchases (views)
 * still in their recent list. The training code and the stream apply exactly these rules.
 */
public final class ItemCooccurrence {
    /** Where the counts live: a heap map offline, Flink broadcast state in the stream. */
    public interface Store {
        ItemNeighbors get(String item) throws Exception;

        void put(String item, ItemNeighbors neighbors) throws Exception;
    }

    /** Read access to counts, possibly a base index plus stream updates. */
    public interface View {
        ItemNeighbors neighbors(String item) throws Exception;

        /** How often the item occurred; cheaper than {@link #neighbors} when only that is needed. */
        default long occurrences(String item) throws Exception {
            ItemNeighbors n = neighbors(item);
            return n == null ? 0 : n.occurrences;
        }
    }

    private ItemCooccurrence() {}

    /** The update an event makes, or null when it makes none (no item, or a type that does not count). */
    public static CooccurrenceUpdate updateFor(FeaturizedEvent featurized) {
        String item = featurized.event.getItemId();
        if (item == null || item.isEmpty()) {
            return null;
        }
        EventType type = featurized.event.getEventType();
        String[] recent;
        if (type == EventType.PURCHASE) {
            recent = featurized.recentPurchases;
        } else if (type == EventType.VIEW || type == EventType.CLICK || type == EventType.ADD_TO_CART) {
            recent = featurized.recentItems;
        } else {
            return null;
        }
        // recent lists are newest first and hold the event's own item at 0
        String[] with = recent.length > 1 && item.equals(recent[0])
                ? Arrays.copyOfRange(recent, 1, recent.length) : withoutItem(recent, item);
        return new CooccurrenceUpdate(item, with, featurized.event.getEventTime());
    }

    private static String[] withoutItem(String[] items, String item) {
        return Arrays.stream(items).filter(i -> !i.equals(item)).toArray(String[]::new);
    }

    /** Counts the update in the store; returns the store's new occurrence count of the update's item. */
    public static long apply(Store store, CooccurrenceUpdate update) throws Exception {
        ItemNeighbors self = orEmpty(store.get(update.item));
        self.occurrences++;
        for (String other : update.withItems) {
            self.add(other, 1);
            ItemNeighbors neighbor = orEmpty(store.get(other));
            neighbor.add(update.item, 1);
            store.put(other, neighbor);
        }
        store.put(update.item, self);
        return self.occurrences;
    }

    private static ItemNeighbors orEmpty(ItemNeighbors n) {
        return n == null ? new ItemNeighbors() : n;
    }

    /** A heap index: what training builds and the registry stores. */
    public static final class InMemory implements Store, View {
        public final Map<String, ItemNeighbors> items;

        public InMemory(int topItems) {
            this(new HashMap<>(), new TopItems(topItems));
        }

        public InMemory(Map<String, ItemNeighbors> items, TopItems top) {
            this.items = items;
            this.top = top;
        }

        @Override
        public ItemNeighbors get(String item) {
            return items.get(item);
        }

        @Override
        public void put(String item, ItemNeighbors neighbors) {
            items.put(item, neighbors);
        }

        @Override
        public ItemNeighbors neighbors(String item) {
            return items.get(item);
        }

        public final TopItems top;

        /** Counts the update and keeps {@link #top} in step. */
        public void apply(CooccurrenceUpdate update) {
            try {
                top.update(update.item, ItemCooccurrence.apply(this, update));
            } catch (Exception e) {
                throw new IllegalStateException(e); // a heap map does not fail
            }
        }
    }
}
