package io.personalize.udfs.ingest;

import io.personalize.schema.DeadLetterReason;
import io.personalize.schema.SchemaHistory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Decodes one Kafka record in Avro single-object encoding, with the checks every input topic
 * shares (oversized, empty, unknown schema, bad header, corrupt body). Never throws: a record the
 * job cannot use must not fail the job. Nothing it allocates is larger than the record's limit: an
 * oversized record's dead letter keeps a prefix, and a body is checked ({@link AvroBodyCheck})
 * before Avro allocates what its length prefixes claim.
 */
public final class SingleObjectDecoding {
    /** The marker (2 bytes) and the writer schema's fingerprint (8 bytes, little-endian) before every body. */
    public static final int HEADER_BYTES = 10;

    /** The decoded record, or why there is none: the dead-letter reason, the error and the bytes to keep. */
    public record Result<T>(T record, DeadLetterReason reason, String error, byte[] keptKey, byte[] keptValue) {
        public boolean ok() {
            return record != null;
        }

        static <T> Result<T> failed(DeadLetterReason reason, String error, byte[] keptKey, byte[] keptValue) {
            return new Result<>(null, reason, error, keptKey, keptValue);
        }
    }

    /**
     * A record type as a topic carries it: the writer schemas its records may be written with (the
     * type's own schema among them), found by fingerprint, and Avro's decoder to the type. Not
     * thread-safe, like the decoder.
     */
    public static final class Format<T> {
        private final String type;
        private final SchemaStore.Cache writers = new SchemaStore.Cache();
        private final BinaryMessageDecoder<T> decoder;

        private Format(Class<T> type, Collection<Schema> otherWriters) {
            SpecificData model = SpecificData.getForClass(type);
            Schema schema = model.getSchema(type);
            this.type = schema.getName();
            writers.addSchema(schema);
            SchemaHistory.earlierVersionsOf(schema).forEach(writers::addSchema);
            otherWriters.forEach(writers::addSchema);
            this.decoder = new BinaryMessageDecoder<>(model, schema, writers);
        }

        /**
         * Records of the generated class {@code type}, written with its schema, any of its earlier
         * versions ({@link SchemaHistory}) or any of {@code otherWriters}.
         */
        public static <T> Format<T> of(Class<T> type, Collection<Schema> otherWriters) {
            return new Format<>(type, otherWriters);
        }
    }

    private SingleObjectDecoding() {}

    /**
     * A record whose key and value together are over {@code maxBytes} is OVERSIZED; its dead letter
     * keeps the first {@code maxBytes} bytes of each.
     */
    public static <T> Result<T> decode(Format<T> format, byte[] key, byte[] value, int maxBytes) {
        long size = (long) length(key) + length(value);
        if (size > maxBytes) {
            return oversized(key, value, maxBytes);
        }
        if (value == null || value.length == 0) {
            return Result.failed(DeadLetterReason.EMPTY, "record value is empty", key, value);
        }
        try {
            Optional<String> corrupt = bodyProblem(format, value);
            if (corrupt.isPresent()) {
                return Result.failed(DeadLetterReason.UNDECODABLE, "corrupt Avro body: " + corrupt.get(), key, value);
            }
            return new Result<>(format.decoder.decode(ByteBuffer.wrap(value)), null, null, key, value);
        } catch (MissingSchemaException e) {
            return Result.failed(DeadLetterReason.UNKNOWN_SCHEMA,
                    "writer schema fingerprint is not a known " + format.type + " schema: " + e.getMessage(), key, value);
        } catch (BadHeaderException e) {
            return Result.failed(DeadLetterReason.BAD_HEADER, "not Avro single-object encoding: " + e.getMessage(),
                    key, value);
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            // what the body check does not cover: values the reader schema cannot take, and the like
            return Result.failed(DeadLetterReason.UNDECODABLE, describe(e), key, value);
        }
    }

    /**
     * The structural problem of the body, when the header is one and names a writer schema this
     * format knows; the decoder itself reports a bad header or an unknown fingerprint.
     */
    private static Optional<String> bodyProblem(Format<?> format, byte[] value) {
        if (value.length < HEADER_BYTES || value[0] != (byte) 0xC3 || value[1] != (byte) 0x01) {
            return Optional.empty();
        }
        long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Schema writer = format.writers.findByFingerprint(fingerprint);
        return writer == null ? Optional.empty()
                : AvroBodyCheck.problem(writer, value, HEADER_BYTES, value.length);
    }

    private static <T> Result<T> oversized(byte[] key, byte[] value, int maxBytes) {
        // keep the dead letter itself bounded: the first maxBytes bytes of each part and a digest of what was cut
        StringBuilder error = new StringBuilder("record has ").append(length(key)).append(" key and ")
                .append(length(value)).append(" value bytes, the limit is ").append(maxBytes).append(" for both");
        byte[] keptKey = key;
        byte[] keptValue = value;
        if (value != null && value.length > maxBytes) {
            keptValue = Arrays.copyOf(value, maxBytes);
            error.append("; rawValue keeps the first ").append(maxBytes)
                    .append(" bytes; SHA-256 of the whole value: ").append(DigestUtils.sha256Hex(value));
        }
        if (key != null && key.length > maxBytes) {
            keptKey = Arrays.copyOf(key, maxBytes);
            error.append("; the key (rawKey and the dead letter's own key) keeps the first ").append(maxBytes)
                    .append(" bytes; SHA-256 of the whole key: ").append(DigestUtils.sha256Hex(key));
        }
        return Result.failed(DeadLetterReason.OVERSIZED, error.toString(), keptKey, keptValue);
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e instanceof AvroRuntimeException ? "corrupt Avro body" : e.getClass().getSimpleName());
        if (e.getMessage() != null) {
            text.append(": ").append(e.getMessage());
        }
        // Avro wraps the actual failure ("Decoding datum failed"): name it
        Throwable cause = e.getCause();
        for (int depth = 0; cause != null && depth < 3; depth++, cause = cause.getCause()) {
            text.append("; caused by ").append(cause.getClass().getSimpleName());
            if (cause.getMessage() != null) {
                text.append(": ").append(cause.getMessage());
            }
        }
        return text.toString();
    }
}
