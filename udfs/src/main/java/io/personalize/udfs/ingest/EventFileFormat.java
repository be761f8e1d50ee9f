package io.personalize.udfs.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.personalize.schema.DeadLetterReason;
import io.personalize.schema.EventContext;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

/**
 * Event files for bounded runs (backfills, backtests): Avro container files of UserEvent (any
 * compatible writer schema; recognised by their magic bytes) or JSON lines with the UserEvent field
 * names (eventType as its name, eventTime in epoch ms). Like the Kafka source, every record becomes
 * a valid event or a dead letter with the reason, and the job never fails on a bad one. (Avro's
 * reader cannot tell a container file cut short at the end of a block from a complete one.)
 */
public class EventFileFormat extends SimpleStreamFormat<DecodedEvent> {
    private static final long serialVersionUID = 1L;
    public static final String SOURCE = "file";
    private static final byte[] AVRO_MAGIC = {'O', 'b', 'j', 1};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int maxRecordBytes;

    public EventFileFormat(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public StreamFormat.Reader<DecodedEvent> createReader(Configuration config, FSDataInputStream stream)
            throws IOException {
        BufferedInputStream in = new BufferedInputStream(stream, 1 << 16);
        in.mark(AVRO_MAGIC.length);
        byte[] head = in.readNBytes(AVRO_MAGIC.length);
        in.reset();
        return Arrays.equals(head, AVRO_MAGIC) ? new AvroReader(in) : new JsonLinesReader(in, maxRecordBytes);
    }

    @Override
    public TypeInformation<DecodedEvent> getProducedType() {
        return TypeInformation.of(DecodedEvent.class);
    }

    private static DecodedEvent validated(UserEvent event, long position, byte[] raw) {
        Optional<String> problem = EventValidator.problemWith(event);
        if (problem.isPresent()) {
            return dead(position, raw, DeadLetterReason.INVALID, problem.get());
        }
        return DecodedEvent.valid(event, event.getEventTime());
    }

    private static DecodedEvent dead(long position, byte[] raw, DeadLetterReason reason, String error) {
        return DecodedEvent.invalid(EventDecoder.deadLetterRecord(SOURCE, 0, position, System.currentTimeMillis(),
                null, raw, reason, error));
    }

    private static final class AvroReader implements StreamFormat.Reader<DecodedEvent> {
        private final DataFileStream<UserEvent> records;
        private long index;
        private boolean broken;

        AvroReader(BufferedInputStream in) throws IOException {
            this.records = new DataFileStream<>(in, new SpecificDatumReader<>(UserEvent.class));
        }

        @Override
        public DecodedEvent read() throws IOException {
            if (broken) {
                return null;
            }
            try {
                if (!records.hasNext()) {
                    return null;
                }
                UserEvent event = records.next();
                index++;
                return validated(event, index, event.toByteBuffer().array());
            } catch (Exception e) {
                // a corrupt block cannot be skipped reliably: report it and stop reading this file
                broken = true;
                return dead(index + 1, null, DeadLetterReason.UNDECODABLE,
                        "corrupt Avro container file after record " + index + ": " + e);
            }
        }

        @Override
        public void close() throws IOException {
            records.close();
        }
    }

    private static final class JsonLinesReader implements StreamFormat.Reader<DecodedEvent> {
        private final BufferedReader lines;
        private final int maxRecordBytes;
        private long lineNumber;

        JsonLinesReader(BufferedInputStream in, int maxRecordBytes) {
            this.lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            this.maxRecordBytes = maxRecordBytes;
        }

        @Override
        public DecodedEvent read() throws IOException {
            String line;
            do {
                line = lines.readLine();
                lineNumber++;
            } while (line != null && line.isBlank());
            if (line == null) {
                return null;
            }
            byte[] raw = line.getBytes(StandardCharsets.UTF_8);
            if (raw.length > maxRecordBytes) {
                return dead(lineNumber, Arrays.copyOf(raw, maxRecordBytes), DeadLetterReason.OVERSIZED,
                        "line " + lineNumber + " has " + raw.length + " bytes, the limit is " + maxRecordBytes);
            }
            UserEvent event;
            try {
                event = parse(JSON.readTree(line));
            } catch (Exception e) {
                return dead(lineNumber, raw, DeadLetterReason.UNDECODABLE, "line " + lineNumber + ": " + e.getMessage());
            }
            return validated(event, lineNumber, raw);
        }

        @Override
        public void close() throws IOException {
            lines.close();
        }
    }

    /** A UserEvent from its JSON form: the schema's field names, plain values (no Avro union wrappers). */
    public static UserEvent parse(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        UserEvent.Builder event = UserEvent.newBuilder()
                .setEventId(requiredText(json, "eventId"))
                .setUserId(requiredText(json, "userId"))
                .setEventType(EventType.valueOf(requiredText(json, "eventType")))
                .setEventTime(requiredLong(json, "eventTime"))
                .setItemId(text(json, "itemId"))
                .setText(text(json, "text"))
                .setSessionId(text(json, "sessionId"))
                .setCategory(text(json, "category"));
        JsonNode price = json.get("price");
        event.setPrice(price == null || price.isNull() ? null : number(price, "price").doubleValue());
        JsonNode quantity = json.get("quantity");
        event.setQuantity(quantity == null || quantity.isNull() ? null : number(quantity, "quantity").intValue());
        JsonNode context = json.get("context");
        if (context != null && context.isObject()) {
            event.setContext(new EventContext(text(context, "device"), text(context, "country")));
        }
        return event.build();
    }

    private static String requiredText(JsonNode json, String field) {
        String value = text(json, field);
        if (value == null) {
            throw new IllegalArgumentException("missing " + field);
        }
        return value;
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return value.asText();
    }

    private static long requiredLong(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException(field + " must be an integer (epoch ms)");
        }
        return value.longValue();
    }

    private static Number number(JsonNode value, String field) {
        if (!value.isNumber()) {
            throw new IllegalArgumentException(field + " must be a number");
        }
        return value.numberValue();
    }
}
