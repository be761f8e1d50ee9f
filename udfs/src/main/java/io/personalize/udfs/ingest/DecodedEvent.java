package io.personalize.udfs.ingest;

import io.personalize.schema.DeadLetter;
import io.personalize.schema.UserEvent;

/**
 * What the Kafka source emits for every input record: either a valid event or a dead letter
 * explaining why the record could not be used. Exactly one of the two is set.
 */
public class DecodedEvent {
    public UserEvent event;
    public DeadLetter deadLetter;
    /** The Kafka record timestamp, kept to measure source-to-decision latency. */
    public long kafkaTimestamp;

    public DecodedEvent() {}

    public static DecodedEvent valid(UserEvent event, long kafkaTimestamp) {
        DecodedEvent decoded = new DecodedEvent();
        decoded.event = event;
        decoded.kafkaTimestamp = kafkaTimestamp;
        return decoded;
    }

    public static DecodedEvent invalid(DeadLetter deadLetter) {
        DecodedEvent decoded = new DecodedEvent();
        decoded.deadLetter = deadLetter;
        decoded.kafkaTimestamp = deadLetter.getKafkaTimestamp();
        return decoded;
    }

    public boolean isValid() {
        return event != null;
    }
}
