package io.personalize.udfs.recommend;

/** Names the recommender's registry entries. */
public final class Recommender {
    /** The learned ranker (XGBoost, served by DJL) over {@link RecommendationCandidates#FEATURE_NAMES}. */
    public static final String RANKER_MODEL = "recommend";
    /** The item co-occurrence index as of training's cut; the stream adds to it. */
    public static final String COOCCURRENCE_MODEL = "item-cooccurrence";
    public static final int TOP_ITEMS = 200;
    public static final int MAX_COOCCURRING_CANDIDATES = 60;
    public static final int MAX_POPULAR_CANDIDATES = 40;
    /** Of the recommended items, at least this many are new to the user (when there are candidates). */
    public static final int MIN_NEW_ITEMS = 3;

    private Recommender() {}

    public static RecommendationCandidates candidates() {
        return new RecommendationCandidates(MAX_COOCCURRING_CANDIDATES, MAX_POPULAR_CANDIDATES);
    }
}
