package io.personalize.udfs.sentiment;

import io.personalize.udfs.model.OneScorePerEvent;
import java.util.List;

/** Review sentiment over the event's hashed text tokens; does not apply to events without text. */
public final class SentimentInput extends OneScorePerEvent {
    private static final long serialVersionUID = 1L;

    @Override
    public float[][] rows(io.personalize.udfs.model.ScoringRequest input) {
        return input.textTokens == null || input.textTokens.length == 0
                ? null : new float[][] {SentimentFeatures.row(input.textTokens)};
    }

    @Override
    public List<String> featureNames() {
        return SentimentFeatures.featureNames();
    }
}
