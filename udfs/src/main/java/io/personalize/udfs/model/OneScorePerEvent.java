package io.personalize.udfs.model;


/** A model that reads one row from the featurized event and answers with one score (propensity, churn, sentiment). */
public abstract class OneScorePerEvent implements ModelInput<ScoringRequest> {
    private static final long serialVersionUID = 1L;

    @Override
    public ScoringRequest about(ScoringRequest input) {
        return input;
    }

    @Override
    public void interpret(ScoringRequest input, float[] scores, ModelResult result) {
        result.score = scores[0];
    }
}
