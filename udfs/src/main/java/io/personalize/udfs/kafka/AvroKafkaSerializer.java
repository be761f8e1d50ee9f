package io.personalize.udfs.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes records as Avro single-object encoding (marker, schema fingerprint, binary body), keyed
 * by a string field, so any Avro library can decode them with the .avsc files alone.
 */
public class AvroKafkaSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final Class<T> recordClass;
    private final SerializableFunction<T, String> key;
    private transient BinaryMessageEncoder<T> encoder;

    public AvroKafkaSerializer(String topic, Class<T> recordClass, SerializableFunction<T, String> key) {
        this.topic = topic;
        this.recordClass = recordClass;
        this.key = key;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        encoder = encoderFor(recordClass);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T record, KafkaSinkContext context, Long timestamp) {
        if (encoder == null) {
            encoder = encoderFor(recordClass);
        }
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] value = new byte[buffer.remaining()];
            buffer.get(value);
            String k = key.apply(record);
            return new ProducerRecord<>(topic, null, timestamp, k == null ? null : k.getBytes(StandardCharsets.UTF_8),
                    value);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot encode " + recordClass.getSimpleName(), e);
        }
    }

    public static <T extends SpecificRecord> BinaryMessageEncoder<T> encoderFor(Class<T> recordClass) {
        Schema schema = SpecificData.get().getSchema(recordClass);
        return new BinaryMessageEncoder<>(SpecificData.getForClass(recordClass), schema);
    }
}
