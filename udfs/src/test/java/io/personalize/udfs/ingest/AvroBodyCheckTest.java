package io.personalize.udfs.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/** The body check on the types UserEvent does not have: collections in blocks, fixed, bytes, float, boolean. */
class AvroBodyCheckTest {
    private static final Schema SCHEMA = SchemaBuilder.record("Everything").fields()
            .name("tags").type().array().items().stringType().noDefault()
            .name("weights").type().map().values().doubleType().noDefault()
            .name("id").type().fixed("Id").size(4).noDefault()
            .name("blob").type().bytesType().noDefault()
            .name("ratio").type().floatType().noDefault()
            .name("flag").type().booleanType().noDefault()
            .name("nothing").type().array().items().nullType().noDefault()
            .endRecord();

    private static byte[] write(GenericRecord record, boolean blocksWithSizes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // the blocking encoder writes each block's size in bytes: the negative-count form
        BinaryEncoder encoder = blocksWithSizes ? EncoderFactory.get().blockingBinaryEncoder(out, null)
                : EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(SCHEMA).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static GenericRecord record() {
        GenericRecord record = new GenericData.Record(SCHEMA);
        record.put("tags", List.of("a", "bc"));
        record.put("weights", Map.of("x", 1.0, "y", 2.0));
        record.put("id", new GenericData.Fixed(SCHEMA.getField("id").schema(), new byte[] {1, 2, 3, 4}));
        record.put("blob", java.nio.ByteBuffer.wrap(new byte[] {9, 9}));
        record.put("ratio", 0.5f);
        record.put("flag", true);
        java.util.List<Object> nulls = new java.util.ArrayList<>();
        nulls.add(null);
        nulls.add(null);
        record.put("nothing", nulls);
        return record;
    }

    @Test
    void wellFormedBodiesPassInBothBlockForms() throws Exception {
        for (boolean sized : new boolean[] {false, true}) {
            byte[] body = write(record(), sized);
            assertThat(AvroBodyCheck.problem(SCHEMA, body, 0, body.length)).isEmpty();
            // every cut short of the end is a problem, never an exception
            for (int end = 0; end < body.length; end++) {
                assertThat(AvroBodyCheck.problem(SCHEMA, body, 0, end)).as("cut at " + end).isPresent();
            }
        }
    }

    @Test
    void aBlockCannotClaimMoreItemsThanBytesLeft() throws Exception {
        byte[] body = write(record(), false);
        // tags: a block count of 2^31 - 1 (a 5-byte varint) in place of 2
        byte[] claim = new byte[body.length + 4];
        claim[0] = (byte) 0xFE;
        claim[1] = (byte) 0xFF;
        claim[2] = (byte) 0xFF;
        claim[3] = (byte) 0xFF;
        claim[4] = (byte) 0x0F;
        System.arraycopy(body, 1, claim, 5, body.length - 1);
        assertThat(AvroBodyCheck.problem(SCHEMA, claim, 0, claim.length))
                .hasValueSatisfying(p -> assertThat(p).startsWith("block of 2147483647 items at byte 0, only"));
    }

    @Test
    void zeroWidthItemsAreBoundedByTheBytesLeftToo() throws Exception {
        GenericRecord record = record();
        record.put("nothing", java.util.Collections.nCopies(500, null));
        byte[] body = write(record, false);
        assertThat(AvroBodyCheck.problem(SCHEMA, body, 0, body.length)).hasValueSatisfying(p ->
                assertThat(p).isEqualTo("block of 500 items of no width at byte " + (body.length - 3) + " in a body of "
                        + body.length + " bytes"));
    }
}
