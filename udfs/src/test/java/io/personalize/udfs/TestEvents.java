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

    /** The first version of the UserEvent schema (before the category field). */
    public static org.apache.avro.Schema v1Schema() throws java.io.IOException {
        try (var in = TestEvents.class.getResourceAsStream("/avro/history/UserEvent.v1.avsc")) {
            return new org.apache.avro.Schema.Parser().parse(in);
        }
    }

    /** A VIEW written by a producer that still uses the first schema version. */
    public static org.apache.avro.generic.GenericRecord v1View(String eventId, String user, String item)
            throws java.io.IOException {
        org.apache.avro.Schema v1 = v1Schema();
        var view = new org.apache.avro.generic.GenericData.Record(v1);
        view.put("eventId", eventId);
        view.put("userId", user);
        view.put("eventType", new org.apache.avro.generic.GenericData.EnumSymbol(v1.getField("eventType").schema(), "VIEW"));
        view.put("eventTime", T0);
        view.put("itemId", item);
        return view;
    }

    public static Path sharedDir() {
        return Path.of(System.getProperty("shared.dir", "../../shared"));
    }
}
