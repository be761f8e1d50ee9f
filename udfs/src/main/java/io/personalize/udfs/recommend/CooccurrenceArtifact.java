package io.personalize.udfs.recommend;

import io.personalize.udfs.model.ModelRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** The co-occurrence index as the registry stores it: gzipped JSON, counted from events before {@link #countedUntil}. */
public class CooccurrenceArtifact {
    /** Epoch ms: every event before it is in the counts; the stream adds only events from it on. */
    public long countedUntil;
    public TopItems top;
    public Map<String, ItemNeighbors> items;

    public CooccurrenceArtifact() {}

    public CooccurrenceArtifact(long countedUntil, ItemCooccurrence.InMemory index) {
        this.countedUntil = countedUntil;
        this.top = index.top;
        this.items = index.items;
    }

    public void write(Path file) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            ModelRegistry.json().writeValue(out, this);
        }
    }

    public static CooccurrenceArtifact read(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return ModelRegistry.json().readValue(in, CooccurrenceArtifact.class);
        }
    }

    public ItemCooccurrence.InMemory index() {
        return new ItemCooccurrence.InMemory(items, top);
    }
}
