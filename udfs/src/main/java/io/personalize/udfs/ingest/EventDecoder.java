package io.personalize.udfs.ingest;

import io.personalize.schema.DeadLetter;
import io.personalize.schema.DeadLetterReason;
import io.personalize.schema.UserEvent;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;

/**
 * Turns the raw bytes of one Kafka record into a valid {@link UserEvent} or a {@link DeadLetter}
 * with the reason. Never throws: a record the job cannot use must not fail the job.
 */
public class EventDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int maxRecordBytes;
    /** Other UserEvent writer schemas (JSON) the job accepts: older or newer producers' versions. */
    private final List<String> otherWriterSchemas;
    private transient BinaryMessageDecoder<UserEvent> decoder;

    public EventDecoder(int maxRecordBytes) {
        this(maxRecordBytes, List.of());
    }

    public EventDecoder(int maxRecordBytes, List<String> otherWriterSchemas) {
        this.maxRecordBytes = maxRecordBytes;
        this.otherWriterSchemas = List.copyOf(otherWriterSchemas);
        decoder(); // a schema that does not parse fails here, at job construction, not per record
    }

    public DecodedEvent decode(
            String topic, int partition, long offset, long kafkaTimestamp, byte[] key, byte[] value) {
        if (value == null || value.length == 0) {
            return deadLetter(topic, partition, offset, kafkaTimestamp, key, value,
                    DeadLetterReason.EMPTY, "record value is empty");
        }
        if (value.length > maxRecordBytes) {
            // keep the dead letter itself bounded: the first maxRecordBytes bytes and a digest of the whole
            return deadLetter(topic, partition, offset, kafkaTimestamp, key, Arrays.copyOf(value, maxRecordBytes),
                    DeadLetterReason.OVERSIZED, "record value has " + value.length + " bytes, the limit is "
                            + maxRecordBytes + "; rawValue keeps the first " + maxRecordBytes
                            + " bytes; SHA-256 of the whole value: " + DigestUtils.sha256Hex(value));
        }
        UserEvent event;
        try {
            event = decoder().decode(ByteBuffer.wrap(value));
        } catch (MissingSchemaException e) {
            return deadLetter(topic, partition, offset, kafkaTimestamp, key, value,
                    DeadLetterReason.UNKNOWN_SCHEMA, "writer schema fingerprint is not a known UserEvent schema: "
                            + e.getMessage());
        } catch (BadHeaderException e) {
            return deadLetter(topic, partition, offset, kafkaTimestamp, key, value,
                    DeadLetterReason.BAD_HEADER, "not Avro single-object encoding: " + e.getMessage());
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            // AvroRuntimeException, EOFException, NegativeArraySize... from truncated or corrupt bodies.
            return deadLetter(topic, partition, offset, kafkaTimestamp, key, value,
                    DeadLetterReason.UNDECODABLE, describe(e));
        }
        Optional<String> problem = EventValidator.problemWith(event);
        if (problem.isPresent()) {
            return deadLetter(topic, partition, offset, kafkaTimestamp, key, value,
                    DeadLetterReason.INVALID, problem.get());
        }
        return DecodedEvent.valid(event, kafkaTimestamp);
    }

    /** Earlier versions of UserEvent, shipped in the schemas jar: their producers' records stay readable. */
    public static final List<String> BUNDLED_HISTORY = List.of("avro/history/UserEvent.v1.avsc");

    private BinaryMessageDecoder<UserEvent> decoder() {
        if (decoder == null) {
            // the fingerprint picks the writer schema; Avro resolves it to the current UserEvent
            SchemaStore.Cache writers = new SchemaStore.Cache();
            for (String resource : BUNDLED_HISTORY) {
                try (var in = EventDecoder.class.getClassLoader().getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new IllegalStateException("missing schema resource " + resource);
                    }
                    writers.addSchema(new Schema.Parser().parse(in));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            for (String schema : otherWriterSchemas) {
                writers.addSchema(new Schema.Parser().parse(schema));
            }
            decoder = UserEvent.createDecoder(writers);
        }
        return decoder;
    }

    private static String describe(Throwable e) {
        String type = e instanceof AvroRuntimeException ? "corrupt Avro body" : e.getClass().getSimpleName();
        return e.getMessage() == null ? type : type + ": " + e.getMessage();
    }

    static DecodedEvent deadLetter(String topic, int partition, long offset, long kafkaTimestamp,
            byte[] key, byte[] value, DeadLetterReason reason, String error) {
        return DecodedEvent.invalid(deadLetterRecord(topic, partition, offset, kafkaTimestamp, key, value, reason, error));
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
                .setError(error)
                .setFailedAt(System.currentTimeMillis())
                .build();
    }
}
