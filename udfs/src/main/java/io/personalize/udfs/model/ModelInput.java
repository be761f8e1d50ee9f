package io.personalize.udfs.model;

import java.io.Serializable;
import java.util.List;

/** How one model reads its input: the rows to score, and what the scores mean. */
public interface ModelInput<IN> extends Serializable {
    /** The event the input is about: its ids and deployment stamp. */
    ScoringRequest about(IN input);

    /** The model's input rows, or null when the model does not apply to this input. */
    float[][] rows(IN input);

    /** Fills in what the scores say on an OK result (which already holds model, version, latency). */
    void interpret(IN input, float[] scores, ModelResult result);

    /** The feature names the model must have been trained on (checked at load), or null to skip the check. */
    List<String> featureNames();

    /**
     * How far a shadow version agrees with the live one on this input, 0..1: by default the share
     * of rows on the same side of 0.5 (probabilities).
     */
    default double agreement(IN input, float[] live, float[] shadow) {
        int same = 0;
        for (int i = 0; i < live.length; i++) {
            same += (live[i] >= 0.5f) == (shadow[i] >= 0.5f) ? 1 : 0;
        }
        return live.length == 0 ? 1 : (double) same / live.length;
    }
}
