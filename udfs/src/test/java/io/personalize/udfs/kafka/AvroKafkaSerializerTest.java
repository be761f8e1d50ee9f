package io.personalize.udfs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.Action;
import io.personalize.schema.ModelScore;
import io.personalize.schema.ModelStatus;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.ScoredItem;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class AvroKafkaSerializerTest {
    @Test
    void writesSingleObjectEncodingThatTheAvscFileAloneDecodes() throws Exception {
        PersonalizationDecision decision = PersonalizationDecision.newBuilder()
                .setDecisionId("d1").setUserId("u1").setTriggerEventId("e1").setTriggerEventType("PURCHASE")
                .setEventTime(1L).setDecidedAt(2L).setAction(Action.SHOW_RECOMMENDATIONS)
                .setItems(List.of(new ScoredItem("i1", 0.9, "POPULAR")))
                .setModelScores(List.of(new ModelScore("propensity", "v1", 0.3, ModelStatus.OK, 10L)))
                .setReasons(List.of("R")).setFallback(false).build();
        var serializer = new AvroKafkaSerializer<>("decisions", PersonalizationDecision.class,
                AvroKafkaSerializer.utf8(PersonalizationDecision::getUserId));
        ProducerRecord<byte[], byte[]> record = serializer.serialize(decision, null, 99L);

        assertThat(record.topic()).isEqualTo("decisions");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("u1");
        assertThat(record.timestamp()).as("the producer stamps the write time, not the event time").isNull();
        assertThat(record.value()[0]).isEqualTo((byte) 0xC3);
        assertThat(record.value()[1]).isEqualTo((byte) 0x01);

        // a consumer with nothing but the schema file
        Schema schema = new Schema.Parser().parse(new File("../schemas/src/main/avro/PersonalizationDecision.avsc"));
        GenericRecord decoded = new BinaryMessageDecoder<GenericRecord>(GenericData.get(), schema)
                .decode(ByteBuffer.wrap(record.value()));
        assertThat(decoded.get("userId").toString()).isEqualTo("u1");
        assertThat(decoded.get("action").toString()).isEqualTo("SHOW_RECOMMENDATIONS");
        assertThat(((GenericRecord) ((List<?>) decoded.get("items")).get(0)).get("itemId").toString()).isEqualTo("i1");
    }
}
