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
 * Writes records as Avro single-object encoding (marker, schema fingerprint, binary body), so any
 * Avro library can decode them with the .avsc files alone. Records are stamped with the time they
 * are written, not their event time: a replay of old events must not produce records that the
 * broker's retention deletes at once, nor ones too far in the future for it to accept.
 */
public class AvroKafkaSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final Class<T> recordClass;
    private final SerializableFunction<T, byte[]> key;
    private transient BinaryMessageEncoder<T> encoder;

    public AvroKafkaSerializer(String topic, Class<T> recordClass, SerializableFunction<T, byte[]> key) {
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
            return new ProducerRecord<>(topic, null, null, key.apply(record), value);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot encode " + recordClass.getSimpleName(), e);
        }
    }

    /** A key function writing a string field as UTF-8. */
    public static <T> SerializableFunction<T, byte[]> utf8(SerializableFunction<T, String> field) {
        return record -> {
            String value = field.apply(record);
            return value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        };
    }

    public static <T extends SpecificRecord> BinaryMessageEncoder<T> encoderFor(Class<T> recordClass) {
        Schema schema = SpecificData.get().getSchema(recordClass);
        return new BinaryMessageEncoder<>(SpecificData.getForClass(recordClass), schema);
    }
}
