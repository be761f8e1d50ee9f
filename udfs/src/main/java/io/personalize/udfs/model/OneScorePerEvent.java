package io.personalize.udfs.model;

import io.personalize.udfs.features.FeaturizedEvent;

/** A model that reads one row from the featurized event and answers with one score (propensity, churn, sentiment). */
public abstract class OneScorePerEvent implements ModelInput<FeaturizedEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public FeaturizedEvent event(FeaturizedEvent input) {
        return input;
    }

    @Override
    public void interpret(FeaturizedEvent input, float[] scores, ModelResult result) {
        result.score = scores[0];
    }
}
