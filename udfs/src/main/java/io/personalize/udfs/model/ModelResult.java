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

    public boolean isOk() {
        return status == ModelStatus.OK;
    }
}
