package io.personalize.udfs.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/** What the registry records beside every model file (metadata.json). */
@JsonIgnoreProperties(ignoreUnknown = true)
public class ModelMetadata {
    public String name;
    public String version;
    /** DJL engine name, e.g. "XGBoost"; "table" for a plain data artifact. */
    public String engine;
    /** File name of the model inside its version folder. */
    public String file;
    /** SHA-256 of that file, hex. */
    public String sha256;
    /** The model's input features, in order; must equal the serving code's. */
    public List<String> featureNames;
    public String trainingData;
    public String trainedFrom;
    public String trainedUntil;
    public String createdAt;
    public Map<String, Double> metrics;
    public Map<String, String> params;
    /** The training distribution of scores and inputs, for drift monitoring; null for older versions. */
    public DriftReference reference;

    public ModelMetadata() {}

    /** A new version's metadata, created now; the file and checksum are filled in when it is written. */
    public static ModelMetadata of(String name, String version, String engine, String trainingData) {
        ModelMetadata m = new ModelMetadata();
        m.name = name;
        m.version = version;
        m.engine = engine;
        m.trainingData = trainingData;
        m.createdAt = java.time.Instant.now().toString();
        return m;
    }

    /** Records the event-time range the model was trained on (epoch ms). */
    public ModelMetadata trainedBetween(long fromMs, long untilMs) {
        trainedFrom = java.time.Instant.ofEpochMilli(fromMs).toString();
        trainedUntil = java.time.Instant.ofEpochMilli(untilMs).toString();
        return this;
    }
}
