package io.personalize.udfs.ingest;

import io.personalize.schema.DeadLetterReason;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Decodes one Kafka record value in Avro single-object encoding, with the checks every input topic
 * shares (empty, oversized, unknown schema, bad header, corrupt body). Never throws: a record the
 * job cannot use must not fail the job.
 */
public final class SingleObjectDecoding {
    /** The decoded record, or why there is none: the dead-letter reason, the error and the bytes to keep. */
    public record Result<T>(T record, DeadLetterReason reason, String error, byte[] keptValue) {
        public boolean ok() {
            return record != null;
        }

        static <T> Result<T> failed(DeadLetterReason reason, String error, byte[] keptValue) {
            return new Result<>(null, reason, error, keptValue);
        }
    }

    private SingleObjectDecoding() {}

    /** {@code type} names the expected record in the unknown-schema error. */
    public static <T> Result<T> decode(BinaryMessageDecoder<T> decoder, String type, byte[] value, int maxBytes) {
        if (value == null || value.length == 0) {
            return Result.failed(DeadLetterReason.EMPTY, "record value is empty", value);
        }
        if (value.length > maxBytes) {
            // keep the dead letter itself bounded: the first maxBytes bytes and a digest of the whole
            return Result.failed(DeadLetterReason.OVERSIZED, "record value has " + value.length
                    + " bytes, the limit is " + maxBytes + "; rawValue keeps the first " + maxBytes
                    + " bytes; SHA-256 of the whole value: " + DigestUtils.sha256Hex(value),
                    Arrays.copyOf(value, maxBytes));
        }
        try {
            return new Result<>(decoder.decode(ByteBuffer.wrap(value)), null, null, value);
        } catch (MissingSchemaException e) {
            return Result.failed(DeadLetterReason.UNKNOWN_SCHEMA,
                    "writer schema fingerprint is not a known " + type + " schema: " + e.getMessage(), value);
        } catch (BadHeaderException e) {
            return Result.failed(DeadLetterReason.BAD_HEADER, "not Avro single-object encoding: " + e.getMessage(), value);
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            // AvroRuntimeException, EOFException, NegativeArraySize... from truncated or corrupt bodies.
            return Result.failed(DeadLetterReason.UNDECODABLE, describe(e), value);
        }
    }

    private static String describe(Throwable e) {
        String type = e instanceof AvroRuntimeException ? "corrupt Avro body" : e.getClass().getSimpleName();
        return e.getMessage() == null ? type : type + ": " + e.getMessage();
    }
}
