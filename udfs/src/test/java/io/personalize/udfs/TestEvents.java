package io.personalize.udfs;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/** Builders for events in tests. */
public final class TestEvents {
    public static final long T0 = 1_300_000_000_000L; // 2011-03-13
    public static final long DAY = 24L * 3600 * 1000;
    private static final AtomicLong IDS = new AtomicLong();

    private TestEvents() {}

    public static UserEvent purchase(String user, String item, long time, double price, int quantity, String order) {
        return UserEvent.newBuilder().setEventId("e" + IDS.incrementAndGet()).setUserId(user)
                .setEventType(EventType.PURCHASE).setEventTime(time).setItemId(item).setPrice(price)
                .setQuantity(quantity).setSessionId(order).build();
    }

    public static UserEvent of(EventType type, String user, String item, long time) {
        return UserEvent.newBuilder().setEventId("e" + IDS.incrementAndGet()).setUserId(user)
                .setEventType(type).setEventTime(time).setItemId(item)
                .setText(type == EventType.REVIEW || type == EventType.SEARCH ? "great mug" : null).build();
    }

    public static Path sharedDir() {
        return Path.of(System.getProperty("shared.dir", "../../shared"));
    }
}
