package io.personalize.jobs.tools;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.DeadLetterReason;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * Bad input of the kinds real producers send, for dead-letter demos and tests: each record with the
 * key it is sent under and the dead-letter reason the job must give it (with the job's default
 * --max-event-bytes, 64 KiB). Every kind is made from a valid event, the template.
 */
public final class MalformedRecords {
    /** One bad record: what to send and what the job must say about it. */
    public record Bad(Kind kind, byte[] key, byte[] value, DeadLetterReason reason) {}

    public enum Kind {
        /** Random bytes that do not start with the single-object marker. */
        GARBAGE(DeadLetterReason.BAD_HEADER),
        /** The event as JSON text. */
        JSON(DeadLetterReason.BAD_HEADER),
        /** The event's Avro body without the single-object header. */
        PLAIN_AVRO(DeadLetterReason.BAD_HEADER),
        /** The event cut inside its header (1 to 9 bytes). */
        TRUNCATED_HEADER(DeadLetterReason.BAD_HEADER),
        /** The event cut at a random point of its body. */
        TRUNCATED(DeadLetterReason.UNDECODABLE),
        /**
         * A valid header before a corrupt body: a length that is negative or claims a gigabyte, an enum
         * or union index out of range, a varint longer than a long can be.
         */
        CORRUPT_BODY(DeadLetterReason.UNDECODABLE),
        /** The event with bytes after its end. */
        TRAILING_BYTES(DeadLetterReason.UNDECODABLE),
        /** A value of no bytes. */
        EMPTY(DeadLetterReason.EMPTY),
        /** No value at all (a tombstone). */
        TOMBSTONE(DeadLetterReason.EMPTY),
        /** 200 KiB of random bytes: over the default limit, within a broker's default 1 MB. */
        OVERSIZED(DeadLetterReason.OVERSIZED),
        /**
         * The event, or garbage, under a 600 KiB key: the key counts towards the record's size, and a
         * dead letter keeping the key whole (twice: its own key and rawKey) would not fit a request.
         */
        OVERSIZED_KEY(DeadLetterReason.OVERSIZED),
        /** A real event whose text is 2 to 6 MB; the topic and the producer must allow such records. */
        HUGE(DeadLetterReason.OVERSIZED, false),
        /** Single-object encoding of another schema (a legacy click record). */
        WRONG_SCHEMA(DeadLetterReason.UNKNOWN_SCHEMA),
        /** A control command, single-object encoded: a record for another topic. */
        WRONG_TOPIC(DeadLetterReason.UNKNOWN_SCHEMA),
        /** The event with its schema fingerprint altered. */
        UNKNOWN_FINGERPRINT(DeadLetterReason.UNKNOWN_SCHEMA),
        /** The event made to break one validation rule (ids, item, price, quantity, text, event time). */
        INVALID_EVENT(DeadLetterReason.INVALID);

        public final DeadLetterReason reason;
        /** Whether a broker with default limits (1 MB records) takes it: what the replay tool mixes in. */
        public final boolean fitsDefaultBroker;

        Kind(DeadLetterReason reason) {
            this(reason, true);
        }

        Kind(DeadLetterReason reason, boolean fitsDefaultBroker) {
            this.reason = reason;
            this.fitsDefaultBroker = fitsDefaultBroker;
        }
    }

    private static final Schema OTHER = SchemaBuilder.record("LegacyClick").namespace("legacy").fields()
            .requiredString("user").requiredLong("ts").endRecord();

    private MalformedRecords() {}

    public static Bad make(Kind kind, UserEvent template, Random random) {
        byte[] key = template.getUserId().getBytes(StandardCharsets.UTF_8);
        byte[] event = encode(template);
        byte[] value = switch (kind) {
            case GARBAGE -> {
                byte[] bytes = new byte[1 + random.nextInt(200)];
                random.nextBytes(bytes);
                bytes[0] = (byte) 0x42; // never the single-object marker
                yield bytes;
            }
            case JSON -> template.toString().getBytes(StandardCharsets.UTF_8);
            case PLAIN_AVRO -> Arrays.copyOfRange(event, HEADER, event.length);
            case TRUNCATED_HEADER -> Arrays.copyOf(event, 1 + random.nextInt(HEADER - 1));
            case TRUNCATED -> Arrays.copyOf(event, HEADER + random.nextInt(event.length - HEADER));
            case CORRUPT_BODY -> corruptBody(template, event, random);
            case TRAILING_BYTES -> {
                byte[] bytes = Arrays.copyOf(event, event.length + 1 + random.nextInt(16));
                for (int i = event.length; i < bytes.length; i++) {
                    bytes[i] = (byte) random.nextInt(256);
                }
                yield bytes;
            }
            case EMPTY -> new byte[0];
            case TOMBSTONE -> null;
            case OVERSIZED -> {
                byte[] big = new byte[200 * 1024];
                random.nextBytes(big);
                yield big;
            }
            case OVERSIZED_KEY -> {
                key = new byte[600 * 1024];
                Arrays.fill(key, (byte) 'k');
                yield random.nextBoolean() ? event : "not an event".getBytes(StandardCharsets.UTF_8);
            }
            case HUGE -> {
                char[] text = new char[(2 + random.nextInt(5)) * 1024 * 1024];
                Arrays.fill(text, 'z');
                yield encode(UserEvent.newBuilder(template).setEventId(template.getEventId() + "-huge")
                        .setEventType(EventType.REVIEW).setText(new String(text)).build());
            }
            case WRONG_SCHEMA -> {
                GenericRecord record = new GenericData.Record(OTHER);
                record.put("user", template.getUserId());
                record.put("ts", template.getEventTime());
                try {
                    yield toBytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), OTHER).encode(record));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            case WRONG_TOPIC -> {
                try {
                    yield toBytes(ControlEvent.newBuilder().setRequestId("req-" + template.getEventId())
                            .setCommand(ControlCommand.ERASE_USER).setUserId(template.getUserId())
                            .setRequestedBy("wrong-topic").setRequestedAt(template.getEventTime()).build().toByteBuffer());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            case UNKNOWN_FINGERPRINT -> {
                byte[] bytes = event.clone();
                bytes[2 + random.nextInt(8)] ^= (byte) (1 + random.nextInt(255));
                yield bytes;
            }
            case INVALID_EVENT -> encode(invalid(template, random));
        };
        return new Bad(kind, key, value, kind.reason);
    }

    private static final int HEADER = 10;

    /** The template with one validation rule broken (the rest stays valid), under another event id. */
    private static UserEvent invalid(UserEvent template, Random random) {
        UserEvent.Builder event = UserEvent.newBuilder(template).setEventId(template.getEventId() + "-bad");
        String item = template.getItemId() != null ? template.getItemId() : "85123A";
        switch (random.nextInt(11)) {
            case 0 -> event.setEventType(EventType.CLICK).setItemId(null);
            case 1 -> event.setEventType(EventType.PURCHASE).setItemId(item).setPrice(2.0)
                    .setQuantity(-1 - random.nextInt(10));
            case 2 -> event.setEventType(EventType.ADD_TO_CART).setItemId(item).setPrice(-0.01).setQuantity(1);
            case 3 -> event.setEventType(EventType.PURCHASE).setItemId(item).setPrice(2.0).setQuantity(2_000_000);
            case 4 -> event.setUserId("");
            case 5 -> event.setEventId(" ");
            case 6 -> event.setEventTime(template.getEventTime() / 1000); // seconds, not milliseconds
            case 7 -> event.setEventTime(System.currentTimeMillis() + 86_400_000L); // a day ahead of every clock
            case 8 -> event.setEventType(EventType.SEARCH).setText("q".repeat(5_000));
            case 9 -> event.setEventType(EventType.VIEW).setItemId("i".repeat(300));
            default -> event.setEventType(EventType.REVIEW).setText(null);
        }
        return event.build();
    }

    /** The template's header before a body that breaks the encoding in one of five ways. */
    private static byte[] corruptBody(UserEvent template, byte[] event, Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(event, 0, HEADER);
        BinaryEncoder body = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            switch (random.nextInt(5)) {
                case 0 -> body.writeLong(1_000_000_000L + random.nextInt(1_000_000_000)); // eventId claims a GB
                case 1 -> body.writeLong(-1 - random.nextInt(1000)); // a negative length
                case 2 -> {
                    body.writeString(template.getEventId());
                    body.writeString(template.getUserId());
                    body.writeEnum(EventType.values().length + random.nextInt(100));
                    body.writeLong(template.getEventTime());
                }
                case 3 -> {
                    body.writeString(template.getEventId());
                    body.writeString(template.getUserId());
                    body.writeEnum(template.getEventType().ordinal());
                    body.writeLong(template.getEventTime());
                    body.writeIndex(2 + random.nextInt(100)); // itemId: a union of two
                }
                default -> {
                    body.writeString(template.getEventId());
                    body.writeString(template.getUserId());
                    body.writeEnum(template.getEventType().ordinal());
                    byte[] tooLong = new byte[11 + random.nextInt(20)]; // eventTime: a varint of 11 bytes or more
                    Arrays.fill(tooLong, (byte) 0xFF);
                    body.writeFixed(tooLong);
                }
            }
            // the rest of the real body after it
            body.writeFixed(event, HEADER, event.length - HEADER);
            body.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] encode(UserEvent event) {
        try {
            return toBytes(event.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] toBytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
