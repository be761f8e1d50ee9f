package io.personalize.jobs.tools;

import io.personalize.schema.UserEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

/** Bad input of the kinds real producers send, for dead-letter demos and tests. */
public final class MalformedRecords {
    public enum Kind { GARBAGE, JSON, TRUNCATED, EMPTY, OVERSIZED, WRONG_SCHEMA, INVALID_EVENT }

    private static final Schema OTHER = SchemaBuilder.record("LegacyClick").namespace("legacy").fields()
            .requiredString("user").requiredLong("ts").endRecord();

    private MalformedRecords() {}

    public static byte[] make(Kind kind, UserEvent template, Random random) {
        return switch (kind) {
            case GARBAGE -> {
                byte[] bytes = new byte[1 + random.nextInt(200)];
                random.nextBytes(bytes);
                bytes[0] = (byte) 0x42; // never the single-object marker
                yield bytes;
            }
            case JSON -> ("{\"userId\":\"" + template.getUserId() + "\",\"eventType\":\"PURCHASE\"}")
                    .getBytes(StandardCharsets.UTF_8);
            case TRUNCATED -> {
                byte[] whole = encode(template);
                yield Arrays.copyOf(whole, Math.max(11, whole.length / 2));
            }
            case EMPTY -> new byte[0];
            case OVERSIZED -> {
                byte[] big = new byte[200 * 1024];
                random.nextBytes(big);
                yield big;
            }
            case WRONG_SCHEMA -> {
                GenericRecord record = new GenericData.Record(OTHER);
                record.put("user", template.getUserId());
                record.put("ts", template.getEventTime());
                try {
                    yield toBytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), OTHER).encode(record));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            case INVALID_EVENT -> encode(UserEvent.newBuilder(template).setEventId(template.getEventId() + "-bad")
                    .setItemId(null).build());
        };
    }

    public static byte[] encode(UserEvent event) {
        try {
            return toBytes(event.toByteBuffer());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] toBytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
