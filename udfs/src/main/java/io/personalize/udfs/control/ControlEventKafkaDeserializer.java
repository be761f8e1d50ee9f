package io.personalize.udfs.control;

import io.personalize.schema.ControlEvent;
import io.personalize.schema.DeadLetterReason;
import io.personalize.udfs.ingest.EventDecoder;
import java.nio.ByteBuffer;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Control topic records: a {@link ControlEvent}, or a dead letter; never an exception. */
public class ControlEventKafkaDeserializer implements KafkaRecordDeserializationSchema<DecodedControl> {
    private static final long serialVersionUID = 1L;
    private static final int MAX_BYTES = 64 * 1024;

    private transient BinaryMessageDecoder<ControlEvent> decoder;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<DecodedControl> out) {
        out.collect(decode(record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(),
                record.value()));
    }

    public DecodedControl decode(String topic, int partition, long offset, long timestamp, byte[] key,
            byte[] value) {
        DeadLetterReason reason;
        String error;
        if (value == null || value.length == 0) {
            reason = DeadLetterReason.EMPTY;
            error = "control record value is empty";
        } else if (value.length > MAX_BYTES) {
            reason = DeadLetterReason.OVERSIZED;
            error = "control record has " + value.length + " bytes, the limit is " + MAX_BYTES;
        } else {
            try {
                if (decoder == null) {
                    decoder = ControlEvent.getDecoder();
                }
                return DecodedControl.valid(decoder.decode(ByteBuffer.wrap(value)));
            } catch (MissingSchemaException e) {
                reason = DeadLetterReason.UNKNOWN_SCHEMA;
                error = "writer schema fingerprint is not the ControlEvent schema: " + e.getMessage();
            } catch (BadHeaderException e) {
                reason = DeadLetterReason.BAD_HEADER;
                error = "not Avro single-object encoding: " + e.getMessage();
            } catch (Exception | StackOverflowError | OutOfMemoryError e) {
                reason = DeadLetterReason.UNDECODABLE;
                error = "corrupt ControlEvent: " + e;
            }
        }
        return DecodedControl.invalid(EventDecoder.deadLetterRecord(topic, partition, offset, timestamp, key,
                value == null || value.length <= MAX_BYTES ? value : java.util.Arrays.copyOf(value, MAX_BYTES),
                reason, error));
    }

    @Override
    public TypeInformation<DecodedControl> getProducedType() {
        return TypeInformation.of(DecodedControl.class);
    }
}
