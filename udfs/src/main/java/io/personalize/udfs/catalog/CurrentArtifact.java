package io.personalize.udfs.catalog;

import io.personalize.udfs.model.ModelRegistry;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the current version of a data artifact from the model registry. */
final class CurrentArtifact {
    interface Reader<T> {
        T read(ModelRegistry.ModelVersion current) throws IOException;
    }

    private CurrentArtifact() {}

    /**
     * The artifact, or an IOException that names what is wrong where and how to fix it: callers fail
     * closed on it, so an operator reads this message in the job's failure.
     */
    static <T> T load(Path modelsDir, String name, String what, Reader<T> reader) throws IOException {
        try {
            return reader.read(new ModelRegistry(modelsDir).current(name, null));
        } catch (IOException e) {
            String cause = e instanceof NoSuchFileException ? "missing " + e.getMessage() : e.getMessage();
            throw new IOException(what + " unavailable (scripts/train-models.sh publishes it to "
                    + modelsDir.resolve(name).toAbsolutePath() + "): " + cause, e);
        }
    }
}
