package io.personalize.udfs.sentiment;

import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.model.ModelInput;
import io.personalize.udfs.model.ModelResult;
import java.util.List;

/** Review sentiment over the event's hashed text tokens; does not apply to events without text. */
public final class SentimentInput implements ModelInput<FeaturizedEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public FeaturizedEvent event(FeaturizedEvent input) {
        return input;
    }

    @Override
    public float[][] rows(FeaturizedEvent input) {
        return input.textTokens == null || input.textTokens.length == 0
                ? null : new float[][] {SentimentFeatures.row(input.textTokens)};
    }

    @Override
    public void interpret(FeaturizedEvent input, float[] scores, ModelResult result) {
        result.score = scores[0];
    }

    @Override
    public List<String> featureNames() {
        return SentimentFeatures.featureNames();
    }
}
