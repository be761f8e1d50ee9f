package io.personalize.udfs.model;

import io.personalize.udfs.features.FeatureVector;
import java.util.List;

/** A model over the user's {@link FeatureVector} (propensity, churn): one row, one probability. */
public final class FeatureVectorInput extends OneScorePerEvent {
    private static final long serialVersionUID = 1L;

    @Override
    public float[][] rows(ScoringRequest input) {
        return new float[][] {input.features};
    }

    @Override
    public List<String> featureNames() {
        return FeatureVector.NAMES;
    }
}
