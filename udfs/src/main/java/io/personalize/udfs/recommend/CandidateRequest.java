package io.personalize.udfs.recommend;

import io.personalize.udfs.features.FeaturizedEvent;

/** An event with its recommendation candidates and their ranker rows: the ranker's input. */
public class CandidateRequest {
    public FeaturizedEvent input;
    public String[] items;
    public float[][] rows;
    /** The first {@code ownItems} candidates are the user's own items. */
    public int ownItems;

    public CandidateRequest() {}

    public CandidateRequest(FeaturizedEvent input, RecommendationCandidates.Candidates candidates) {
        this.input = input;
        this.items = candidates.items();
        this.rows = candidates.rows();
        this.ownItems = candidates.ownItems();
    }

    public RecommendationCandidates.Candidates candidates() {
        return new RecommendationCandidates.Candidates(items, rows, ownItems);
    }
}
