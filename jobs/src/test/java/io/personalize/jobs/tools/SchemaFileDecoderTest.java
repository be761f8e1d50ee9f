package io.personalize.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class SchemaFileDecoderTest {
    private static final Path SCHEMAS = Path.of(System.getProperty("repo.dir"), "schemas/src/main/avro");
    private static final Path HISTORY = Path.of(System.getProperty("repo.dir"), "schemas/src/main/avro-history");

    /** A decision as the first build wrote it, before the policy fields existed (fingerprint 8d866fab2103f8b0). */
    private static byte[] firstVersionDecision() throws IOException {
        Schema v1 = new Schema.Parser().parse(HISTORY.resolve("PersonalizationDecision.v1.avsc").toFile());
        GenericRecord decision = new GenericData.Record(v1);
        decision.put("decisionId", "d-1");
        decision.put("userId", "17850");
        decision.put("triggerEventId", "e-1");
        decision.put("triggerEventType", "PURCHASE");
        decision.put("eventTime", 1_291_191_960_000L);
        decision.put("decidedAt", 1_700_000_000_000L);
        decision.put("action", new GenericData.EnumSymbol(v1.getField("action").schema(), "SHOW_RECOMMENDATIONS"));
        GenericRecord item = new GenericData.Record(v1.getField("items").schema().getElementType());
        item.put("itemId", "85123A");
        item.put("score", 0.5);
        item.put("source", "USER_HISTORY");
        decision.put("items", List.of(item));
        decision.put("modelScores", List.of());
        decision.put("reasons", List.of("REPEAT_PURCHASE"));
        decision.put("fallback", false);
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(decision);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return bytes;
    }

    @Test
    void aRecordAnOlderBuildWroteIsReadInTheCurrentSchemasShape() throws IOException {
        SchemaFileDecoder decoder = new SchemaFileDecoder(SCHEMAS, HISTORY);

        GenericRecord decision = decoder.decode(firstVersionDecision());

        assertThat(decision.getSchema().getField("policy")).isNotNull();
        assertThat(decision.get("policy")).isNull();
        assertThat(decision.get("decisionId")).hasToString("d-1");
        assertThat(decision.get("action")).hasToString("SHOW_RECOMMENDATIONS");
        assertThat(((List<?>) decision.get("items"))).hasSize(1);
        assertThat(decoder.schemas()).extracting(Schema::getName).contains("PersonalizationDecision")
                .doesNotHaveDuplicates();
    }

    @Test
    void withoutTheHistoryTheOldRecordNamesItsUnknownFingerprint() throws IOException {
        SchemaFileDecoder decoder = new SchemaFileDecoder(SCHEMAS);

        assertThatThrownBy(() -> decoder.decode(firstVersionDecision()))
                .isInstanceOf(IOException.class).hasMessageContaining("8d866fab2103f8b0");
    }
}
