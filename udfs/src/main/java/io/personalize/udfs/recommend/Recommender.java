package io.personalize.udfs.recommend;

/** Names the recommender's registry entries. */
public final class Recommender {
    /** The learned ranker (XGBoost binary:logistic: the chance that the next order holds the item, served by DJL) over {@link RecommendationCandidates#FEATURE_NAMES}. */
    public static final String RANKER_MODEL = "recommend";
    /** The item co-occurrence index as of training's cut; the stream adds to it. */
    public static final String COOCCURRENCE_MODEL = "item-cooccurrence";
    public static final int TOP_ITEMS = 200;
    public static final int MAX_COOCCURRING_CANDIDATES = 60;
    public static final int MAX_POPULAR_CANDIDATES = 40;
    /**
     * A new item (not bought before) enters the list over an own item when its hit probability times
     * this is higher: a new hit counts in both the all-items and the new-items measures. Chosen on a
     * validation split only (trained before 2011-07-01, measured on the orders up to 2011-09-01): of
     * e^0.75 .. e^1.25 and 100 or 200 rounds, the one beating both baselines on all four measures by
     * the largest minimum relative margin.
     */
    public static final float NEW_ITEM_BOOST = (float) Math.exp(0.75);
    /** Weight of "first new hit" against "first hit" when the chosen items are put in order. */
    public static final float NEW_ITEM_WEIGHT = 0.75f;

    private Recommender() {}

    public static RecommendationCandidates candidates() {
        return new RecommendationCandidates(MAX_COOCCURRING_CANDIDATES, MAX_POPULAR_CANDIDATES);
    }
}
