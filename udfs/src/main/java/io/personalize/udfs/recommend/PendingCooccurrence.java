package io.personalize.udfs.recommend;

import java.util.Arrays;
import java.util.List;

/**
 * Co-occurrence updates received but not counted yet, oldest event first. A POJO, so it can be
 * Flink state: {@code updates[head, end)} are waiting, the rest of the array is spare room.
 */
public class PendingCooccurrence {
    public CooccurrenceUpdate[] updates = new CooccurrenceUpdate[0];
    public int head;
    public int end;

    public PendingCooccurrence() {}

    public int count() {
        return end - head;
    }

    /** Adds an update in event-time order (after those of the same time); updates come nearly in order. */
    public void add(CooccurrenceUpdate update) {
        if (end == updates.length) {
            int waiting = count();
            CooccurrenceUpdate[] grown = new CooccurrenceUpdate[Math.max(16, waiting * 2)];
            System.arraycopy(updates, head, grown, 0, waiting);
            updates = grown;
            head = 0;
            end = waiting;
        }
        int at = end++;
        while (at > head && updates[at - 1].eventTime > update.eventTime) {
            updates[at] = updates[at - 1];
            at--;
        }
        updates[at] = update;
    }

    /**
     * Removes and returns, oldest first, the updates of events at or before {@code upTo}, and then the
     * oldest beyond {@code maxPending}: a clock that stalls must not hold updates back without bound.
     */
    public List<CooccurrenceUpdate> takeDue(long upTo, int maxPending) {
        int from = head;
        while (head < end && (updates[head].eventTime <= upTo || end - head > maxPending)) {
            head++;
        }
        List<CooccurrenceUpdate> due = List.of(Arrays.copyOfRange(updates, from, head));
        Arrays.fill(updates, from, head, null);
        if (head == end) {
            head = 0;
            end = 0;
        }
        return due;
    }
}
