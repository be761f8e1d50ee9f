package io.personalize.udfs.recommend;

import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.model.ModelInput;
import io.personalize.udfs.model.ModelResult;
import java.util.List;

/** The ranker scores every candidate; the result is the best {@code maxItems}, with their sources. */
public final class RankerInput implements ModelInput<CandidateRequest> {
    private static final long serialVersionUID = 1L;

    public static final String SOURCE_COOCCURRENCE = "CO_OCCURRENCE";

    private final int maxItems;

    public RankerInput(int maxItems) {
        this.maxItems = maxItems;
    }

    @Override
    public io.personalize.udfs.model.ScoringRequest about(CandidateRequest input) {
        return input.about;
    }

    @Override
    public float[][] rows(CandidateRequest input) {
        return input.rows.length == 0 ? null : input.rows;
    }

    @Override
    public void interpret(CandidateRequest input, float[] scores, ModelResult result) {
        int[] chosen = input.candidates().select(scores, maxItems);
        result.items = new String[chosen.length];
        result.itemScores = new float[chosen.length];
        result.itemSources = new String[chosen.length];
        for (int i = 0; i < chosen.length; i++) {
            int c = chosen[i];
            result.items[i] = input.items[c];
            result.itemScores[i] = scores[c];
            result.itemSources[i] = c < input.ownItems ? DecisionPolicy.SOURCE_HISTORY
                    : RecommendationCandidates.isCooccurring(input.rows[c]) ? SOURCE_COOCCURRENCE : DecisionPolicy.SOURCE_POPULAR;
        }
        result.score = chosen.length == 0 ? Float.NaN : scores[chosen[0]];
    }

    /** Shadow agreement of a ranker: the share of the live list's items that the shadow's list also has. */
    @Override
    public double agreement(CandidateRequest input, float[] live, float[] shadow) {
        int[] a = input.candidates().select(live, maxItems);
        int[] b = input.candidates().select(shadow, maxItems);
        java.util.Set<Integer> inShadow = new java.util.HashSet<>();
        for (int c : b) {
            inShadow.add(c);
        }
        int both = 0;
        for (int c : a) {
            both += inShadow.contains(c) ? 1 : 0;
        }
        return a.length == 0 ? 1 : (double) both / a.length;
    }

    @Override
    public List<String> featureNames() {
        return RecommendationCandidates.FEATURE_NAMES;
    }
}
