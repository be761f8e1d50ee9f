package io.personalize.udfs.model;

import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.FeaturizedEvent;
import java.util.List;

/** A model over the user's {@link FeatureVector} (propensity, churn): one row, one probability. */
public final class FeatureVectorInput implements ModelInput<FeaturizedEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public FeaturizedEvent event(FeaturizedEvent input) {
        return input;
    }

    @Override
    public float[][] rows(FeaturizedEvent input) {
        return new float[][] {input.features};
    }

    @Override
    public void interpret(FeaturizedEvent input, float[] scores, ModelResult result) {
        result.score = scores[0];
    }

    @Override
    public List<String> featureNames() {
        return FeatureVector.NAMES;
    }
}
