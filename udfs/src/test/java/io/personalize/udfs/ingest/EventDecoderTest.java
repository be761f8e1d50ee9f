package io.personalize.udfs.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.DeadLetterReason;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TestEvents;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class EventDecoderTest {
    private final EventDecoder decoder = new EventDecoder(4096);
    private final EventDecoder roomyDecoder = new EventDecoder(64 * 1024);

    private static byte[] encode(UserEvent event) throws Exception {
        ByteBuffer buffer = event.toByteBuffer();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private DecodedEvent decode(byte[] value) {
        return decoder.decode("user-events", 3, 42L, 1234L, "u1".getBytes(StandardCharsets.UTF_8), value);
    }

    @Test
    void validEventPassesThrough() throws Exception {
        UserEvent event = TestEvents.purchase("u1", "item-1", TestEvents.T0, 2.5, 3, "order-1");
        DecodedEvent decoded = decode(encode(event));
        assertThat(decoded.isValid()).isTrue();
        assertThat(decoded.event).isEqualTo(event);
        assertThat(decoded.kafkaTimestamp).isEqualTo(1234L);
    }

    @Test
    void emptyAndNullValuesAreDeadLetters() {
        assertThat(decode(new byte[0]).deadLetter.getReason()).isEqualTo(DeadLetterReason.EMPTY);
        DecodedEvent tombstone = decode(null);
        assertThat(tombstone.deadLetter.getReason()).isEqualTo(DeadLetterReason.EMPTY);
        assertThat(tombstone.deadLetter.getRawValue()).isNull();
    }

    @Test
    void oversizedRecordIsDeadLetterWithABoundedPrefixAndDigest() throws Exception {
        byte[] big = new byte[5000];
        new java.util.Random(1).nextBytes(big);
        DecodedEvent decoded = decode(big);
        assertThat(decoded.deadLetter.getReason()).isEqualTo(DeadLetterReason.OVERSIZED);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(big));
        assertThat(decoded.deadLetter.getError()).contains("5000 value bytes").contains("4096").contains(sha);
        assertThat(decoded.deadLetter.getRawValue().remaining()).isEqualTo(4096);
        assertThat(decoded.deadLetter.getRawValue().get(0)).isEqualTo(big[0]);
        assertThat(StandardCharsets.UTF_8.decode(decoded.deadLetter.getRawKey()).toString()).isEqualTo("u1");
    }

    @Test
    void theKeyCountsTowardsTheLimitAndIsCutInTheDeadLetter() throws Exception {
        byte[] hugeKey = new byte[3 * 4096];
        java.util.Arrays.fill(hugeKey, (byte) 'k');
        byte[] event = encode(TestEvents.purchase("u1", "item-1", TestEvents.T0, 2.5, 3, "order-1"));
        DecodedEvent decoded = decoder.decode("user-events", 0, 1L, 0L, hugeKey, event);
        assertThat(decoded.isValid()).as("a valid value under a key the size of a payload").isFalse();
        assertThat(decoded.deadLetter.getReason()).isEqualTo(DeadLetterReason.OVERSIZED);
        assertThat(decoded.deadLetter.getRawKey().remaining()).isEqualTo(4096);
        assertThat(decoded.deadLetter.getRawValue().remaining()).as("the value itself is small: kept whole")
                .isEqualTo(event.length);
        assertThat(decoded.deadLetter.getError()).contains(org.apache.commons.codec.digest.DigestUtils.sha256Hex(hugeKey));

        // key and value each under the limit, together over it
        byte[] key = new byte[4096 - event.length + 1];
        assertThat(decoder.decode("t", 0, 0L, 0L, key, event).deadLetter.getReason())
                .isEqualTo(DeadLetterReason.OVERSIZED);
        assertThat(decoder.decode("t", 0, 0L, 0L, java.util.Arrays.copyOf(key, key.length - 1), event).isValid())
                .isTrue();
    }

    @Test
    void everyDeadLetterFitsItsBound() throws Exception {
        java.util.Random random = new java.util.Random(3);
        byte[] big = new byte[100_000];
        random.nextBytes(big);
        UserEvent blankUser = UserEvent.newBuilder(TestEvents.of(EventType.SEARCH, " ", null, TestEvents.T0))
                .setText("y".repeat(3000)).build();
        for (byte[][] record : new byte[][][] {{big, big}, {big, null}, {null, big}, {big, new byte[0]},
                {new byte[4000], "x".getBytes(StandardCharsets.UTF_8)}, {null, encode(blankUser)}}) {
            io.personalize.schema.DeadLetter deadLetter = decode(record[0], record[1]).deadLetter;
            byte[] value = bytes(deadLetter.toByteBuffer());
            int key = deadLetter.getRawKey() == null ? 0 : deadLetter.getRawKey().remaining();
            assertThat((long) key + value.length).isLessThanOrEqualTo(EventDecoder.maxDeadLetterBytes(4096));
        }
        String longError = "e".repeat(10_000);
        assertThat(EventDecoder.deadLetterRecord("t", 0, 0L, 0L, null, null, DeadLetterReason.INVALID, longError)
                .getError()).hasSizeLessThan(EventDecoder.MAX_ERROR_CHARS + 30).endsWith("(10000 characters)");
    }

    private DecodedEvent decode(byte[] key, byte[] value) {
        return decoder.decode("user-events", 3, 42L, 1234L, key, value);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** A valid header (the current UserEvent's fingerprint) before {@code body}. */
    private static byte[] withHeader(byte[] body) throws Exception {
        byte[] header = java.util.Arrays.copyOf(encode(TestEvents.of(EventType.VIEW, "u1", "i", TestEvents.T0)), 10);
        byte[] record = java.util.Arrays.copyOf(header, 10 + body.length);
        System.arraycopy(body, 0, record, 10, body.length);
        return record;
    }

    /** Zigzag varint, as Avro writes ints and longs. */
    private static byte[] varint(long n) {
        long z = (n << 1) ^ (n >> 63);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while ((z & ~0x7FL) != 0) {
            out.write((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        return out.toByteArray();
    }

    @Test
    void aBodyClaimingAHugeStringIsUndecodableWithoutAllocatingIt() throws Exception {
        // 16 bytes whose first string (eventId) says it has 1.5 GB: Avro alone allocated the 1.5 GB first
        byte[] record = withHeader(java.util.Arrays.copyOf(varint(1_500_000_000L), 6));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        decode(record); // warm up: classes, the decoder
        long before = threads.getCurrentThreadAllocatedBytes();
        DecodedEvent decoded = decode(record);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(decoded.deadLetter.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE);
        assertThat(decoded.deadLetter.getError())
                .isEqualTo("corrupt Avro body: string of 1500000000 bytes at byte 10, only 1 bytes left");
        assertThat(allocated).as("bytes allocated to decode a 16-byte record").isLessThan(64 * 1024);
    }

    @Test
    void corruptBodiesAreUndecodableWithWhatIsWrong() throws Exception {
        UserEvent event = TestEvents.of(EventType.VIEW, "u1", "i", TestEvents.T0);
        byte[] view = encode(event);
        String eventId = event.getEventId();
        // eventId, userId "u1", then the event type's index
        int typeAt = 10 + 1 + eventId.length() + 1 + 2;
        byte[] badEnum = view.clone();
        badEnum[typeAt] = varint(17)[0];
        byte[] negative = view.clone();
        negative[10] = varint(-3)[0];
        byte[] endless = view.clone();
        java.util.Arrays.fill(endless, typeAt + 1, endless.length, (byte) 0xFF);
        byte[] trailing = java.util.Arrays.copyOf(view, view.length + 3);

        assertThat(decode(badEnum).deadLetter.getError()).isEqualTo(
                "corrupt Avro body: enum io.personalize.schema.EventType symbol 17 at byte " + typeAt
                        + " is not one of the 6");
        assertThat(decode(negative).deadLetter.getError())
                .isEqualTo("corrupt Avro body: string length -3 at byte 10 is negative");
        assertThat(decode(endless).deadLetter.getError()).contains("long at byte " + (typeAt + 1));
        assertThat(decode(trailing).deadLetter.getError()).isEqualTo("corrupt Avro body: 3 bytes left over after "
                + "the end of the record (at byte " + view.length + " of " + trailing.length + ")");
        for (byte[] corrupt : List.of(badEnum, negative, endless, trailing)) {
            assertThat(decode(corrupt).deadLetter.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE);
        }
        assertThat(decode(view).isValid()).as("the record they were made from").isTrue();
    }

    @Test
    void valuesThatWouldHurtStateOrModelsAreRejected() throws Exception {
        UserEvent future = TestEvents.of(EventType.VIEW, "u1", "i", System.currentTimeMillis() + 2 * 3_600_000L);
        assertThat(decode(encode(future)).deadLetter.getError()).contains("in the future");

        UserEvent longItem = TestEvents.of(EventType.VIEW, "u1", "x".repeat(300), TestEvents.T0);
        assertThat(decode(encode(longItem)).deadLetter.getError()).isEqualTo("itemId is longer than 256 characters");

        UserEvent hugePrice = TestEvents.purchase("u1", "i", TestEvents.T0, 1e300, 1, "o");
        assertThat(decode(encode(hugePrice)).deadLetter.getError()).contains("needs a price in");

        UserEvent nanPrice = TestEvents.purchase("u1", "i", TestEvents.T0, Double.NaN, 1, "o");
        assertThat(decode(encode(nanPrice)).deadLetter.getReason()).isEqualTo(DeadLetterReason.INVALID);

        UserEvent longText = UserEvent.newBuilder(TestEvents.of(EventType.SEARCH, "u1", null, TestEvents.T0))
                .setText("y".repeat(5000)).build();
        assertThat(roomyDecoder.decode("t", 0, 0L, 0L, null, encode(longText)).deadLetter.getError())
                .contains("text is longer");
    }

    @Test
    void jsonIsNotSingleObjectEncoding() {
        DecodedEvent decoded = decode("{\"userId\":\"u1\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(decoded.deadLetter.getReason()).isEqualTo(DeadLetterReason.BAD_HEADER);
        assertThat(decoded.deadLetter.getSourceTopic()).isEqualTo("user-events");
        assertThat(decoded.deadLetter.getPartition()).isEqualTo(3);
        assertThat(decoded.deadLetter.getOffset()).isEqualTo(42L);
        assertThat(StandardCharsets.UTF_8.decode(decoded.deadLetter.getRawKey()).toString()).isEqualTo("u1");
    }

    @Test
    void truncatedBodyIsUndecodable() throws Exception {
        byte[] whole = encode(TestEvents.purchase("u1", "item-1", TestEvents.T0, 2.5, 3, "order-1"));
        DecodedEvent decoded = decode(Arrays.copyOf(whole, whole.length - 8));
        assertThat(decoded.deadLetter.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE);
        assertThat(decoded.deadLetter.getError()).isNotBlank();
    }

    @Test
    void recordOfAnotherSchemaIsUnknownSchema() throws Exception {
        Schema other = SchemaBuilder.record("Other").fields().requiredString("x").endRecord();
        GenericRecord record = new GenericData.Record(other);
        record.put("x", "y");
        ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), other).encode(record);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        assertThat(decode(bytes).deadLetter.getReason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA);
    }

    /** The current UserEvent schema with one more optional field, as a newer producer would write. */
    static Schema newerUserEventSchema() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode schema =
                (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(UserEvent.getClassSchema().toString());
        ((com.fasterxml.jackson.databind.node.ArrayNode) schema.get("fields")).addObject()
                .put("name", "referrer").putNull("default").putArray("type").add("null").add("string");
        return new Schema.Parser().parse(schema.toString());
    }

    @Test
    void recordsOfARegisteredSchemaVersionAreReadAsTheCurrentEvent() throws Exception {
        Schema newer = newerUserEventSchema();
        UserEvent event = TestEvents.purchase("u1", "item-1", TestEvents.T0, 2.5, 3, "order-1");
        GenericRecord record = new GenericData.Record(newer);
        for (Schema.Field field : UserEvent.getClassSchema().getFields()) {
            Object value = event.get(field.pos());
            if (value instanceof Enum<?> symbol) {
                value = new GenericData.EnumSymbol(newer.getField(field.name()).schema(), symbol.name());
            }
            record.put(field.name(), value);
        }
        record.put("referrer", "newsletter");
        ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), newer).encode(record);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);

        assertThat(decode(bytes).deadLetter.getReason()).as("unknown to a decoder without it")
                .isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA);
        DecodedEvent decoded = new EventDecoder(4096, java.util.List.of(newer.toString()))
                .decode("t", 0, 0L, 0L, null, bytes);
        assertThat(decoded.isValid()).isTrue();
        assertThat(decoded.event).isEqualTo(event);
    }

    @Test
    void semanticallyInvalidEventsAreRejectedWithTheRule() throws Exception {
        UserEvent noItem = TestEvents.of(EventType.CLICK, "u1", null, TestEvents.T0);
        assertThat(decode(encode(noItem)).deadLetter.getError()).isEqualTo("CLICK needs an itemId");

        UserEvent negativeQuantity = TestEvents.purchase("u1", "i", TestEvents.T0, 1.0, -2, "o");
        DecodedEvent decoded = decode(encode(negativeQuantity));
        assertThat(decoded.deadLetter.getReason()).isEqualTo(DeadLetterReason.INVALID);
        assertThat(decoded.deadLetter.getError()).contains("quantity in [1, 1000000], got -2");

        UserEvent secondsNotMillis = TestEvents.of(EventType.VIEW, "u1", "i", 1_300_000_000L);
        assertThat(decode(encode(secondsNotMillis)).deadLetter.getError()).contains("before 2000-01-01");

        UserEvent blankUser = TestEvents.of(EventType.VIEW, " ", "i", TestEvents.T0);
        assertThat(decode(encode(blankUser)).deadLetter.getError()).isEqualTo("userId is empty");

        UserEvent reviewWithoutText = UserEvent.newBuilder(TestEvents.of(EventType.REVIEW, "u1", "i", TestEvents.T0))
                .setText(null).build();
        assertThat(decode(encode(reviewWithoutText)).deadLetter.getError()).isEqualTo("REVIEW needs text");
    }

    @Test
    void randomBytesNeverThrow() {
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] bytes = new byte[1 + random.nextInt(300)];
            random.nextBytes(bytes);
            if (i % 2 == 0 && bytes.length > 2) {
                bytes[0] = (byte) 0xC3; // the single-object marker, so the body parser is exercised
                bytes[1] = (byte) 0x01;
            }
            DecodedEvent decoded = decode(bytes);
            assertThat(decoded.isValid() || decoded.deadLetter != null).isTrue();
        }
    }

    @Test
    void recordsOfTheFirstSchemaVersionAreStillRead() throws Exception {
        Schema v1 = TestEvents.v1Schema();
        assertThat(v1.getField("category")).as("v1 predates the category field").isNull();
        GenericRecord old = TestEvents.v1View("old-1", "u1", "lamp");
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);

        DecodedEvent decoded = decode(bytes);
        assertThat(decoded.isValid()).isTrue();
        assertThat(decoded.event.getItemId()).isEqualTo("lamp");
        assertThat(decoded.event.getCategory()).isNull();
    }
}
