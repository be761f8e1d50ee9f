package io.personalize.udfs.ingest;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.time.Instant;
import java.util.Optional;

/** The rules a decoded event must meet before any per-user state sees it. */
public final class EventValidator {
    /** Events before this are certainly wrong clocks or units (seconds instead of milliseconds). */
    static final long EARLIEST_EVENT_TIME = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();

    static final int MAX_ID_LENGTH = 256;

    private EventValidator() {}

    public static Optional<String> problemWith(UserEvent event) {
        if (isBlank(event.getEventId())) {
            return Optional.of("eventId is empty");
        }
        if (isBlank(event.getUserId())) {
            return Optional.of("userId is empty");
        }
        if (event.getUserId().length() > MAX_ID_LENGTH) {
            return Optional.of("userId is longer than " + MAX_ID_LENGTH + " characters");
        }
        if (event.getEventTime() < EARLIEST_EVENT_TIME) {
            return Optional.of("eventTime " + event.getEventTime() + " is before 2000-01-01 (not epoch milliseconds?)");
        }
        EventType type = event.getEventType();
        switch (type) {
            case VIEW, CLICK -> {
                if (isBlank(event.getItemId())) {
                    return Optional.of(type + " needs an itemId");
                }
            }
            case ADD_TO_CART, PURCHASE -> {
                if (isBlank(event.getItemId())) {
                    return Optional.of(type + " needs an itemId");
                }
                if (event.getPrice() == null || !(event.getPrice() >= 0) || event.getPrice().isInfinite()) {
                    return Optional.of(type + " needs a finite price >= 0, got " + event.getPrice());
                }
                if (event.getQuantity() == null || event.getQuantity() <= 0) {
                    return Optional.of(type + " needs a quantity > 0, got " + event.getQuantity());
                }
            }
            case REVIEW, SEARCH -> {
                if (isBlank(event.getText())) {
                    return Optional.of(type + " needs text");
                }
            }
        }
        return Optional.empty();
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
