package io.personalize.udfs.recommend;

import io.personalize.udfs.features.FeaturizedEvent;

/** An event with its recommendation candidates and their ranker rows: the ranker's input. */
public class CandidateRequest {
    public io.personalize.udfs.model.ScoringRequest about;
    public String[] items;
    public float[][] rows;
    /** The first {@code ownItems} candidates are the user's own items. */
    public int ownItems;

    public CandidateRequest() {}

    public CandidateRequest(FeaturizedEvent input, RecommendationCandidates.Candidates candidates) {
        this.about = io.personalize.udfs.model.ScoringRequest.identity(input);
        this.items = candidates.items();
        this.rows = candidates.rows();
        this.ownItems = candidates.ownItems();
    }

    public RecommendationCandidates.Candidates candidates() {
        return new RecommendationCandidates.Candidates(items, rows, ownItems);
    }
}
