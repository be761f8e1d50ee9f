package io.personalize.jobs.tools;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;

/**
 * Decodes any topic's records knowing nothing but the .avsc files: single-object encoding carries
 * the writer schema's fingerprint, which picks the schema. No generated classes involved.
 *
 * <p>The first folder holds the current schemas; the others earlier versions (the schemas' history).
 * A record written with an earlier version is resolved to the current schema of the same name, as
 * Avro resolves any writer to a reader, so every record of a topic comes out in one shape; where the
 * current schema cannot read that version, it comes out as written.
 */
public final class SchemaFileDecoder {
    private final Map<Long, BinaryMessageDecoder<GenericRecord>> decoders = new HashMap<>();
    private final List<Schema> schemas = new ArrayList<>();

    public SchemaFileDecoder(Path currentSchemas, Path... earlierVersions) throws IOException {
        Map<String, Schema> current = new LinkedHashMap<>();
        for (Schema schema : parseAll(currentSchemas)) {
            current.put(schema.getFullName(), schema);
            schemas.add(schema);
            decoders.put(SchemaNormalization.parsingFingerprint64(schema),
                    new BinaryMessageDecoder<>(GenericData.get(), schema));
        }
        if (schemas.isEmpty()) {
            throw new IOException("no .avsc files in " + currentSchemas);
        }
        for (Path folder : earlierVersions) {
            for (Schema writer : parseAll(folder)) {
                Schema reader = current.get(writer.getFullName());
                boolean resolvable = reader != null && SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                        .getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
                BinaryMessageDecoder<GenericRecord> decoder =
                        new BinaryMessageDecoder<>(GenericData.get(), resolvable ? reader : writer);
                decoder.addSchema(writer);
                decoders.putIfAbsent(SchemaNormalization.parsingFingerprint64(writer), decoder);
            }
        }
    }

    private static List<Schema> parseAll(Path folder) throws IOException {
        List<Schema> parsed = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList()) {
                parsed.add(new Schema.Parser().parse(file.toFile()));
            }
        }
        return parsed;
    }

    /** Decodes a single-object encoded record with the schema file its fingerprint names. */
    public GenericRecord decode(byte[] value) throws IOException {
        if (value == null || value.length < 10 || value[0] != (byte) 0xC3 || value[1] != (byte) 0x01) {
            throw new IOException("not Avro single-object encoding");
        }
        long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        BinaryMessageDecoder<GenericRecord> decoder = decoders.get(fingerprint);
        if (decoder == null) {
            throw new IOException("no schema file has fingerprint " + Long.toHexString(fingerprint));
        }
        return decoder.decode(value);
    }

    /** The current schemas. */
    public List<Schema> schemas() {
        return schemas;
    }
}
