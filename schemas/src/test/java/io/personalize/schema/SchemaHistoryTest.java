package io.personalize.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

class SchemaHistoryTest {
    private static final Path CURRENT_DIR = Path.of("src/main/avro");
    private static final Path HISTORY_DIR = Path.of("src/main/avro-history");
    private static final Path RECORDED = HISTORY_DIR.resolve("current.fingerprints");

    @Test
    void everyHistoryFileIsListedAndLoads() throws IOException {
        try (Stream<Path> files = Files.list(HISTORY_DIR)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".avsc")))
                    .containsExactlyInAnyOrderElementsOf(SchemaHistory.FILES);
        }
        assertThat(SchemaHistory.all()).hasSameSizeAs(SchemaHistory.FILES);
        for (String file : SchemaHistory.FILES) {
            assertThat(file).matches("[A-Za-z]+\\.v[0-9]+\\.avsc");
            Schema schema = SchemaHistory.all().get(SchemaHistory.FILES.indexOf(file));
            assertThat(schema.getName()).as(file).isEqualTo(file.substring(0, file.indexOf('.')));
        }
    }

    /**
     * A changed schema fails here until its previous version is kept: records written with it stay
     * on the topics, and readers can only decode them if they know its fingerprint.
     */
    @Test
    void everyCurrentSchemaIsTheOneRecordedSoAChangeKeepsItsPreviousVersion() throws IOException {
        Map<String, String> now = currentFingerprints();
        Map<String, String> recorded = new TreeMap<>();
        for (String line : Files.readAllLines(RECORDED)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] parts = line.trim().split("\\s+");
                recorded.put(parts[0], parts[1]);
            }
        }
        for (var schema : now.entrySet()) {
            assertThat(recorded.get(schema.getKey()))
                    .as("%s has fingerprint %s. If you changed it, copy its previous version "
                            + "(git show HEAD:schemas/src/main/avro/%s) to schemas/src/main/avro-history/%s.v<N>.avsc, "
                            + "list it in SchemaHistory.FILES, and record the new fingerprint in %s",
                            schema.getKey(), schema.getValue(), schema.getKey(),
                            schema.getKey().replace(".avsc", ""), RECORDED)
                    .isEqualTo(schema.getValue());
        }
        assertThat(recorded.keySet()).isEqualTo(now.keySet());
    }

    @Test
    void theCurrentSchemaReadsEveryEarlierVersionAndNoTwoVersionsShareAFingerprint() throws IOException {
        Map<String, Schema> current = new TreeMap<>();
        for (Path file : avscFiles(CURRENT_DIR)) {
            Schema schema = new Schema.Parser().parse(file.toFile());
            current.put(schema.getFullName(), schema);
        }
        Set<Long> fingerprints = new HashSet<>();
        current.values().forEach(s -> fingerprints.add(SchemaNormalization.parsingFingerprint64(s)));
        for (Schema earlier : SchemaHistory.all()) {
            Schema reader = current.get(earlier.getFullName());
            assertThat(reader).as("no current schema named %s", earlier.getFullName()).isNotNull();
            var compatibility = SchemaCompatibility.checkReaderWriterCompatibility(reader, earlier);
            assertThat(compatibility.getType())
                    .as("%s cannot read an earlier version: %s", earlier.getFullName(), compatibility.getDescription())
                    .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
            assertThat(fingerprints.add(SchemaNormalization.parsingFingerprint64(earlier)))
                    .as("a version of %s repeats another's fingerprint", earlier.getFullName()).isTrue();
        }
        assertThat(SchemaHistory.earlierVersionsOf(current.get("io.personalize.schema.ControlEvent"))).hasSize(3);
    }

    private static Map<String, String> currentFingerprints() throws IOException {
        Map<String, String> fingerprints = new TreeMap<>();
        for (Path file : avscFiles(CURRENT_DIR)) {
            Schema schema = new Schema.Parser().parse(file.toFile());
            fingerprints.put(file.getFileName().toString(),
                    Long.toHexString(SchemaNormalization.parsingFingerprint64(schema)));
        }
        return fingerprints;
    }

    private static java.util.List<Path> avscFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList();
        }
    }
}
