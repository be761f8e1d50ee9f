package io.personalize.udfs.control;

import io.personalize.schema.ControlEvent;
import io.personalize.udfs.ingest.EventDecoder;
import io.personalize.udfs.ingest.SingleObjectDecoding;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Control topic records: a {@link ControlEvent}, or a dead letter; never an exception. */
public class ControlEventKafkaDeserializer implements KafkaRecordDeserializationSchema<DecodedControl> {
    private static final long serialVersionUID = 1L;
    private static final int MAX_BYTES = 64 * 1024;

    private transient SingleObjectDecoding.Format<ControlEvent> format;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<DecodedControl> out) {
        out.collect(decode(record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(),
                record.value()));
    }

    public DecodedControl decode(String topic, int partition, long offset, long timestamp, byte[] key,
            byte[] value) {
        if (format == null) {
            format = SingleObjectDecoding.Format.of(ControlEvent.class, List.of());
        }
        SingleObjectDecoding.Result<ControlEvent> decoded = SingleObjectDecoding.decode(format, key, value, MAX_BYTES);
        return decoded.ok() ? DecodedControl.valid(decoded.record())
                : DecodedControl.invalid(EventDecoder.deadLetterRecord(topic, partition, offset, timestamp,
                        decoded.keptKey(), decoded.keptValue(), decoded.reason(), decoded.error()));
    }

    @Override
    public TypeInformation<DecodedControl> getProducedType() {
        return TypeInformation.of(DecodedControl.class);
    }
}
