package io.personalize.udfs.ingest;

import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Kafka source deserializer: decodes inside the source so that watermarks are generated per
 * partition from the events' own time, and so that a bad record becomes a dead letter instead of
 * an exception that would fail the job.
 */
public class UserEventKafkaDeserializer implements KafkaRecordDeserializationSchema<DecodedEvent> {
    private static final long serialVersionUID = 1L;

    private final EventDecoder decoder;

    public UserEventKafkaDeserializer(int maxRecordBytes, List<String> otherWriterSchemas) {
        this.decoder = new EventDecoder(maxRecordBytes, otherWriterSchemas);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<DecodedEvent> out) {
        out.collect(decoder.decode(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.key(), record.value()));
    }

    @Override
    public TypeInformation<DecodedEvent> getProducedType() {
        return TypeInformation.of(DecodedEvent.class);
    }
}
