package io.personalize.jobs.tools;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecideAndAssign;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The steady input of a fault run: known events sent in order at a fixed rate on a thread of its
 * own, through faults (an idempotent producer that keeps retrying across a broker restart), with the
 * time each was sent. Every event is valid, so each must be decided once: {@link #decisionIds()}.
 */
public final class SteadyInput {
    private final List<UserEvent> events;
    private final List<String> decisionIds;
    private final AtomicLongArray sentAt;
    private final AtomicInteger sent = new AtomicInteger();
    private final CompletableFuture<Void> done;

    /** Starts sending {@code events} to {@code topic} at {@code eventsPerSecond}. */
    public SteadyInput(String bootstrapServers, String topic, List<UserEvent> events, double eventsPerSecond) {
        this.events = List.copyOf(events);
        this.decisionIds = events.stream().map(e -> DecideAndAssign.decisionId(e.getEventId())).toList();
        this.sentAt = new AtomicLongArray(events.size());
        Properties producer = new Properties();
        producer.put("enable.idempotence", "true"); // a retry across a broker restart must not duplicate an event
        producer.put("max.in.flight.requests.per.connection", "1");
        producer.put("delivery.timeout.ms", "600000"); // outlives the outages a fault run makes
        done = CompletableFuture.runAsync(() -> {
            try (EventReplayer replayer = new EventReplayer(bootstrapServers, topic, producer)) {
                replayer.replay(this.events, eventsPerSecond, 0, 1, now -> sentAt.set(sent.getAndIncrement(), now));
            } catch (Exception e) {
                throw new IllegalStateException("the input could not be sent to " + topic, e);
            }
        }, runnable -> {
            Thread thread = new Thread(runnable, "steady-input-" + topic);
            thread.setDaemon(true);
            thread.start();
        });
    }

    /** The decision every event must get, in the order the events are sent. */
    public List<String> decisionIds() {
        return decisionIds;
    }

    public List<String> eventIds() {
        return events.stream().map(UserEvent::getEventId).toList();
    }

    /** Events handed to the producer so far. */
    public int sent() {
        return sent.get();
    }

    public int size() {
        return events.size();
    }

    /** When the last event was handed to the producer (epoch ms); 0 before it was. */
    public long lastSentAt() {
        return sentAt.get(events.size() - 1);
    }

    /** Waits until every event is acknowledged by the broker; throws what sending failed with. */
    public void await(Duration timeout) throws Exception {
        done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isDone() {
        return done.isDone();
    }

    /**
     * Seconds from {@code faultAt} (epoch ms) until the decision of an event sent after it became
     * visible to {@code decisions}: the job runs again, has caught up and commits. NaN while none has.
     */
    public double recoverySeconds(IdWatch decisions, long faultAt) {
        List<String> ids = new ArrayList<>();
        int n = sent.get();
        for (int i = 0; i < n; i++) {
            if (sentAt.get(i) > faultAt) {
                ids.add(decisionIds.get(i));
            }
        }
        long first = decisions.firstSeenOfAny(ids);
        return first < 0 ? Double.NaN : (first - faultAt) / 1000.0;
    }
}
