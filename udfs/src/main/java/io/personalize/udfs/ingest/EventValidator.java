package io.personalize.udfs.ingest;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.time.Instant;
import java.util.Optional;

/** The rules a decoded event must meet before any per-user state sees it. */
public final class EventValidator {
    /** Events before this are certainly wrong clocks or units (seconds instead of milliseconds). */
    static final long EARLIEST_EVENT_TIME = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();

    /** Events further ahead of the wall clock than this are wrong clocks; they would hold the watermark. */
    static final long MAX_FUTURE_SKEW_MS = 3_600_000L;
    static final int MAX_ID_LENGTH = 256;
    static final int MAX_TEXT_LENGTH = 4_096;
    static final double MAX_PRICE = 1e9;
    static final int MAX_QUANTITY = 1_000_000;

    private EventValidator() {}

    public static Optional<String> problemWith(UserEvent event) {
        if (isBlank(event.getEventId())) {
            return Optional.of("eventId is empty");
        }
        if (isBlank(event.getUserId())) {
            return Optional.of("userId is empty");
        }
        for (String[] field : new String[][] {{"eventId", event.getEventId()}, {"userId", event.getUserId()},
                {"itemId", event.getItemId()}, {"sessionId", event.getSessionId()}}) {
            if (field[1] != null && field[1].length() > MAX_ID_LENGTH) {
                return Optional.of(field[0] + " is longer than " + MAX_ID_LENGTH + " characters");
            }
        }
        if (event.getText() != null && event.getText().length() > MAX_TEXT_LENGTH) {
            return Optional.of("text is longer than " + MAX_TEXT_LENGTH + " characters");
        }
        if (event.getEventTime() < EARLIEST_EVENT_TIME) {
            return Optional.of("eventTime " + event.getEventTime() + " is before 2000-01-01 (not epoch milliseconds?)");
        }
        if (event.getEventTime() > System.currentTimeMillis() + MAX_FUTURE_SKEW_MS) {
            return Optional.of("eventTime " + Instant.ofEpochMilli(event.getEventTime()) + " is more than an hour in the future");
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
                if (event.getPrice() == null || !(event.getPrice() >= 0 && event.getPrice() <= MAX_PRICE)) {
                    return Optional.of(type + " needs a price in [0, " + MAX_PRICE + "], got " + event.getPrice());
                }
                if (event.getQuantity() == null || event.getQuantity() <= 0 || event.getQuantity() > MAX_QUANTITY) {
                    return Optional.of(type + " needs a quantity in [1, " + MAX_QUANTITY + "], got " + event.getQuantity());
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
