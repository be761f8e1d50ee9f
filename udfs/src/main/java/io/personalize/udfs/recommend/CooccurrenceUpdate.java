package io.personalize.udfs.recommend;

/**
 * One event's contribution to the item co-occurrence index: {@code item} occurred once, together
 * with each of {@code withItems} (the user's previous items of the same kind). Broadcast to every
 * candidate-generation subtask so they all hold the same index.
 */
public class CooccurrenceUpdate {
    public String item;
    public String[] withItems;
    public long eventTime;

    public CooccurrenceUpdate() {}

    public CooccurrenceUpdate(String item, String[] withItems, long eventTime) {
        this.item = item;
        this.withItems = withItems;
        this.eventTime = eventTime;
    }
}
