package io.personalize.udfs.model;

import io.personalize.schema.ModelStatus;

/** One model's answer for one event. */
public class ModelResult {
    public String model;
    public String version;
    /** Meaningful only when {@link #status} is OK. */
    public float score;
    public ModelStatus status;
    public String error;
    public long latencyMicros;
    /** The model does not apply to the event (e.g. sentiment without text): no score, not a failure. */
    public boolean notApplicable;
    /** Ranked items, best first, with scores and candidate sources (recommendation models only). */
    public String[] items;
    public float[] itemScores;
    public String[] itemSources;
    /** A class label (segmentation), with {@link #score} its index. */
    public String label;

    public ModelResult() {}

    public static ModelResult ok(String model, String version, float score, long latencyMicros) {
        ModelResult r = new ModelResult();
        r.model = model;
        r.version = version;
        r.score = score;
        r.status = ModelStatus.OK;
        r.latencyMicros = latencyMicros;
        return r;
    }

    public static ModelResult failed(String model, String version, ModelStatus status, String error,
            long latencyMicros) {
        ModelResult r = new ModelResult();
        r.model = model;
        r.version = version;
        r.status = status;
        r.error = error;
        r.latencyMicros = latencyMicros;
        return r;
    }

    public static ModelResult notApplicable(String model, String version) {
        ModelResult r = ok(model, version, Float.NaN, 0);
        r.notApplicable = true;
        return r;
    }

    public boolean isOk() {
        return status == ModelStatus.OK && !notApplicable;
    }
}
