package io.personalize.udfs.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.TestEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventFileFormatTest {
    @TempDir
    Path temp;

    private static List<DecodedEvent> readAll(Path file) throws Exception {
        var stream = FileSystem.getLocalFileSystem().open(new org.apache.flink.core.fs.Path(file.toUri()));
        List<DecodedEvent> out = new ArrayList<>();
        try (StreamFormat.Reader<DecodedEvent> reader = new EventFileFormat(1024).createReader(new Configuration(),
                stream, Files.size(file), Files.size(file))) {
            for (DecodedEvent e; (e = reader.read()) != null; ) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void jsonLinesGiveEventsAndDeadLettersWithTheLineAndReason() throws Exception {
        Path file = temp.resolve("events.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"eventId\":\"e1\",\"userId\":\"u1\",\"eventType\":\"PURCHASE\",\"eventTime\":1300000000000,"
                        + "\"itemId\":\"mug\",\"price\":2.5,\"quantity\":2,\"category\":\"kitchen\","
                        + "\"context\":{\"device\":\"ios\",\"country\":\"FR\"}}",
                "",
                "{\"eventId\":\"e2\",\"userId\":\"u1\",\"eventType\":\"VIEW\",\"eventTime\":1300000000001}",
                "not json",
                "{\"eventId\":\"e3\",\"userId\":\"u1\",\"eventType\":\"TELEPORT\",\"eventTime\":1}",
                "{\"eventId\":\"e4\",\"userId\":\"u1\",\"eventType\":\"SEARCH\",\"eventTime\":1300000000002,\"text\":\"lamp\"}",
                "{\"eventId\":\"e5\",\"userId\":\"u1\",\"eventType\":\"SEARCH\",\"eventTime\":1300000000002,\"text\":\""
                        + "x".repeat(2000) + "\"}"));
        List<DecodedEvent> out = readAll(file);
        assertThat(out).hasSize(6);
        UserEvent first = out.get(0).event;
        assertThat(first.getPrice()).isEqualTo(2.5);
        assertThat(first.getQuantity()).isEqualTo(2);
        assertThat(first.getCategory()).isEqualTo("kitchen");
        assertThat(first.getContext().getCountry()).isEqualTo("FR");
        // line 3: a VIEW without an item fails validation
        assertThat(out.get(1).deadLetter.getReason().name()).isEqualTo("INVALID");
        assertThat(out.get(1).deadLetter.getOffset()).isEqualTo(3);
        assertThat(out.get(2).deadLetter.getReason().name()).isEqualTo("UNDECODABLE");
        assertThat(out.get(2).deadLetter.getError()).startsWith("line 4");
        assertThat(out.get(3).deadLetter.getReason().name()).isEqualTo("UNDECODABLE");
        assertThat(out.get(4).event.getText()).isEqualTo("lamp");
        assertThat(out.get(5).deadLetter.getReason().name()).isEqualTo("OVERSIZED");
    }

    @Test
    void avroContainerFilesOfTheCurrentAndTheFirstSchemaVersion() throws Exception {
        Path current = temp.resolve("current.avro");
        try (DataFileWriter<UserEvent> writer = new DataFileWriter<>(new SpecificDatumWriter<>(UserEvent.class))) {
            writer.create(UserEvent.getClassSchema(), current.toFile());
            UserEvent e = TestEvents.purchase("u1", "mug", TestEvents.T0, 1.0, 1, "o1");
            e.setCategory("kitchen");
            writer.append(e);
            writer.append(TestEvents.purchase("u1", "", TestEvents.T0, 1.0, 1, "o1")); // no item: invalid
        }
        assertThat(readAll(current)).satisfiesExactly(
                d -> assertThat(d.event.getCategory()).isEqualTo("kitchen"),
                d -> assertThat(d.deadLetter.getReason().name()).isEqualTo("INVALID"));

        Schema v1 = TestEvents.v1Schema();
        Path old = temp.resolve("v1.avro");
        try (DataFileWriter<GenericRecord> writer = new DataFileWriter<>(new GenericDatumWriter<>(v1))) {
            writer.create(v1, old.toFile());
            GenericRecord r = TestEvents.v1View("old-1", "u2", "lamp");
            writer.append(r);
        }
        List<DecodedEvent> fromV1 = readAll(old);
        assertThat(fromV1).singleElement().satisfies(d -> {
            assertThat(d.event.getItemId()).isEqualTo("lamp");
            assertThat(d.event.getCategory()).isNull();
        });

        Path corrupt = temp.resolve("corrupt.avro");
        byte[] bytes = Files.readAllBytes(current);
        java.util.Arrays.fill(bytes, bytes.length - 16, bytes.length, (byte) 0); // the block's sync marker
        Files.write(corrupt, bytes);
        List<DecodedEvent> fromCorrupt = readAll(corrupt);
        assertThat(fromCorrupt).last().satisfies(d -> {
            assertThat(d.deadLetter.getReason().name()).isEqualTo("UNDECODABLE");
            assertThat(d.deadLetter.getError()).contains("corrupt Avro container file");
        });
    }
}
