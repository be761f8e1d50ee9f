package io.personalize.schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;

/**
 * Every earlier version of the topic schemas ({@code src/main/avro-history/}, shipped in this jar
 * under {@code avro/history/}). Records on a topic outlive the build that wrote them: a reader that
 * knows these versions decodes them by the fingerprint they carry and resolves them to the current
 * schema. When a schema changes, its previous version is added here (SchemaHistoryTest fails until
 * it is).
 */
public final class SchemaHistory {
    /** Resource folder of the earlier versions. */
    public static final String RESOURCE_DIR = "avro/history/";

    /** The files in {@link #RESOURCE_DIR}, named {@code <Record>.v<N>.avsc}. */
    public static final List<String> FILES = List.of(
            "ControlEvent.v1.avsc",
            "ControlEvent.v2.avsc",
            "ControlEvent.v3.avsc",
            "PersonalizationDecision.v1.avsc",
            "UserEvent.v1.avsc");

    private static final List<Schema> ALL = FILES.stream().map(SchemaHistory::load).toList();

    private SchemaHistory() {}

    /** Every earlier version of every topic schema. */
    public static List<Schema> all() {
        return ALL;
    }

    /** The earlier versions of the schema with {@code current}'s full name, oldest first. */
    public static List<Schema> earlierVersionsOf(Schema current) {
        return ALL.stream().filter(s -> s.getFullName().equals(current.getFullName())).toList();
    }

    /**
     * A schema store holding every earlier version: for the generated classes' {@code
     * createDecoder(SchemaStore)}, so their decoders read records written by older builds.
     */
    public static SchemaStore.Cache store() {
        SchemaStore.Cache store = new SchemaStore.Cache();
        ALL.forEach(store::addSchema);
        return store;
    }

    private static Schema load(String file) {
        try (InputStream in = SchemaHistory.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
                throw new IllegalStateException("missing schema resource " + RESOURCE_DIR + file);
            }
            return new Schema.Parser().parse(in); // one parser per file: every version redefines its types
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
