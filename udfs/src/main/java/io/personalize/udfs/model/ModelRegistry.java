package io.personalize.udfs.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * A folder of versioned models: {@code <root>/<name>/<version>/{metadata.json, model file}} and
 * {@code <root>/<name>/CURRENT} naming the version in use.
 */
public final class ModelRegistry {
    public static final String METADATA_FILE = "metadata.json";
    public static final String CURRENT_FILE = "CURRENT";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;

    public ModelRegistry(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** The version CURRENT points at, checked: checksum and, when given, the expected feature names. */
    public ModelVersion current(String name, List<String> expectedFeatures) throws IOException {
        Path currentFile = root.resolve(name).resolve(CURRENT_FILE);
        if (!Files.isRegularFile(currentFile)) {
            throw new IOException("no model '" + name + "' in registry " + root.toAbsolutePath()
                    + " (missing " + currentFile + "); train the models with scripts/train-models.sh");
        }
        String version = Files.readString(currentFile, StandardCharsets.UTF_8).trim();
        return load(name, version, expectedFeatures);
    }

    public ModelVersion load(String name, String version, List<String> expectedFeatures) throws IOException {
        return loadAt(root.resolve(name).resolve(version), name, version, null, expectedFeatures);
    }

    /**
     * A version folder anywhere (e.g. named by a control command), checked like a registry version;
     * with {@code expectedSha256} the model file must also have that checksum.
     */
    public static ModelVersion loadAt(Path dir, String name, String version, String expectedSha256,
            List<String> expectedFeatures) throws IOException {
        if (!Files.isRegularFile(dir.resolve(METADATA_FILE))) {
            throw new ModelRejectedException(dir + " holds no " + METADATA_FILE);
        }
        ModelMetadata metadata = JSON.readValue(dir.resolve(METADATA_FILE).toFile(), ModelMetadata.class);
        if (!name.equals(metadata.name) || !version.equals(metadata.version)) {
            throw new ModelRejectedException(dir + ": metadata names " + metadata.name + "/" + metadata.version);
        }
        Path file = dir.resolve(metadata.file);
        String actual = sha256(file);
        if (!actual.equalsIgnoreCase(metadata.sha256)) {
            throw new ModelRejectedException(file + ": checksum " + actual + " does not match metadata " + metadata.sha256);
        }
        if (expectedSha256 != null && !actual.equalsIgnoreCase(expectedSha256)) {
            throw new ModelRejectedException(file + ": checksum " + actual + " is not the requested " + expectedSha256);
        }
        if (expectedFeatures != null && !expectedFeatures.equals(metadata.featureNames)) {
            throw new ModelRejectedException(name + "/" + version + " was trained on features that are not the ones "
                    + "this job computes: " + firstDifference(metadata.featureNames, expectedFeatures));
        }
        return new ModelVersion(metadata, dir, file);
    }

    private static String firstDifference(List<String> trained, List<String> computed) {
        if (trained == null) {
            return "its metadata lists none";
        }
        for (int i = 0; i < Math.min(trained.size(), computed.size()); i++) {
            if (!trained.get(i).equals(computed.get(i))) {
                return "feature #" + i + " is '" + trained.get(i) + "' in the model and '" + computed.get(i) + "' here";
            }
        }
        return trained.size() + " features in the model, " + computed.size() + " here";
    }

    /** Writes a new version (metadata checksum filled in) and makes it current. */
    public ModelVersion publish(ModelMetadata metadata, Path modelFile) throws IOException {
        ModelVersion written = writeVersion(metadata, modelFile);
        makeCurrent(metadata.name, metadata.version);
        return written;
    }

    /** Writes a version's metadata (checksum filled in) without making it current. */
    public ModelVersion writeVersion(ModelMetadata metadata, Path modelFile) throws IOException {
        Path dir = root.resolve(metadata.name).resolve(metadata.version);
        if (!modelFile.getParent().toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("model file must already be in " + dir);
        }
        metadata.file = modelFile.getFileName().toString();
        metadata.sha256 = sha256(modelFile);
        JSON.writeValue(dir.resolve(METADATA_FILE).toFile(), metadata);
        return new ModelVersion(metadata, dir, modelFile);
    }

    /** Points CURRENT at the version, atomically. */
    public void makeCurrent(String name, String version) throws IOException {
        Path current = root.resolve(name).resolve(CURRENT_FILE);
        Path tmp = current.resolveSibling(CURRENT_FILE + ".tmp");
        Files.writeString(tmp, version + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, current, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public Path versionDir(String name, String version) throws IOException {
        Path dir = root.resolve(name).resolve(version);
        Files.createDirectories(dir);
        return dir;
    }

    public static ObjectMapper json() {
        return JSON;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return DigestUtils.sha256Hex(in);
        }
    }

    public record ModelVersion(ModelMetadata metadata, Path dir, Path file) {
        public String name() {
            return metadata.name;
        }

        public String version() {
            return metadata.version;
        }
    }
}
