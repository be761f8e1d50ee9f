package io.personalize.udfs.ingest;

import io.personalize.schema.DeadLetter;
import io.personalize.schema.DeadLetterReason;
import io.personalize.schema.UserEvent;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * Turns the raw bytes of one Kafka record into a valid {@link UserEvent} or a {@link DeadLetter}
 * with the reason ({@link SingleObjectDecoding}, then {@link EventValidator}). Never throws.
 */
public class EventDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int maxRecordBytes;
    /** Other UserEvent writer schemas (JSON) the job accepts: older or newer producers' versions. */
    private final List<String> otherWriterSchemas;
    private transient SingleObjectDecoding.Format<UserEvent> format;

    public EventDecoder(int maxRecordBytes) {
        this(maxRecordBytes, List.of());
    }

    public EventDecoder(int maxRecordBytes, List<String> otherWriterSchemas) {
        this.maxRecordBytes = maxRecordBytes;
        this.otherWriterSchemas = List.copyOf(otherWriterSchemas);
        format(); // a schema that does not parse fails here, at job construction, not per record
    }

    public DecodedEvent decode(
            String topic, int partition, long offset, long kafkaTimestamp, byte[] key, byte[] value) {
        SingleObjectDecoding.Result<UserEvent> decoded = SingleObjectDecoding.decode(format(), key, value, maxRecordBytes);
        if (!decoded.ok()) {
            return deadLetter(topic, partition, offset, kafkaTimestamp, decoded.keptKey(), decoded.keptValue(),
                    decoded.reason(), decoded.error());
        }
        UserEvent event = decoded.record();
        Optional<String> problem = EventValidator.problemWith(event);
        if (problem.isPresent()) {
            return deadLetter(topic, partition, offset, kafkaTimestamp, key, value,
                    DeadLetterReason.INVALID, problem.get());
        }
        return DecodedEvent.valid(event, kafkaTimestamp);
    }

    private SingleObjectDecoding.Format<UserEvent> format() {
        if (format == null) {
            // the fingerprint picks the writer schema; Avro resolves it to the current UserEvent
            format = SingleObjectDecoding.Format.of(UserEvent.class,
                    otherWriterSchemas.stream().map(schema -> new Schema.Parser().parse(schema)).toList());
        }
        return format;
    }

    static DecodedEvent deadLetter(String topic, int partition, long offset, long kafkaTimestamp,
            byte[] key, byte[] value, DeadLetterReason reason, String error) {
        return DecodedEvent.invalid(deadLetterRecord(topic, partition, offset, kafkaTimestamp, key, value, reason, error));
    }

    /** Errors longer than this are cut: with the kept bytes, this bounds every dead letter's size. */
    public static final int MAX_ERROR_CHARS = 2_000;

    /**
     * The most bytes (Kafka key and value) a dead letter of a record within {@code maxRecordBytes}
     * takes: the key twice (the dead letter's own key and rawKey), the value, and at most 16 KiB of
     * the rest (the error, the topic name, the fixed fields).
     */
    public static long maxDeadLetterBytes(int maxRecordBytes) {
        return 3L * maxRecordBytes + 16 * 1024;
    }

    /** The dead letter of one input record: where it was, its bytes, and what was wrong. */
    public static DeadLetter deadLetterRecord(String topic, int partition, long offset, long kafkaTimestamp,
            byte[] key, byte[] value, DeadLetterReason reason, String error) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setKafkaTimestamp(kafkaTimestamp)
                .setRawKey(key == null ? null : ByteBuffer.wrap(key))
                .setRawValue(value == null ? null : ByteBuffer.wrap(value))
                .setReason(reason)
                .setError(error.length() <= MAX_ERROR_CHARS ? error
                        : error.substring(0, MAX_ERROR_CHARS) + "... (" + error.length() + " characters)")
                .setFailedAt(System.currentTimeMillis())
                .build();
    }
}
