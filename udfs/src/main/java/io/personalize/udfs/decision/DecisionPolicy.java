package io.personalize.udfs.decision;

import io.personalize.schema.Action;
import io.personalize.schema.EventType;
import io.personalize.schema.ScoredItem;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.model.ModelResult;
import io.personalize.udfs.model.ScoredEvent;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns one scored event into an action, a ranked item list and the reasons for both. Pure: the
 * keyed operator around it owns state, experiments and output.
 */
public final class DecisionPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String PROPENSITY_MODEL = "propensity";
    public static final String CHURN_MODEL = "churn";
    public static final String SENTIMENT_MODEL = "sentiment";
    public static final String SEGMENT_MODEL = "segment";
    public static final String RECOMMEND_MODEL = "recommend";
    /** Every model the stream scores, in the order decisions list them. */
    public static final List<String> MODELS = List.of(PROPENSITY_MODEL, CHURN_MODEL, SENTIMENT_MODEL, SEGMENT_MODEL,
            RECOMMEND_MODEL);
    public static final double CHURN_RISK_THRESHOLD = 0.5;
    public static final double NEGATIVE_SENTIMENT_THRESHOLD = 0.5;
    public static final String SOURCE_HISTORY = "USER_HISTORY";
    public static final String SOURCE_POPULAR = "POPULAR";

    private final double retentionThreshold;
    private final int minOrdersForRetention;
    private final int maxItems;

    public DecisionPolicy(double retentionThreshold, int minOrdersForRetention, int maxItems) {
        this.retentionThreshold = retentionThreshold;
        this.minOrdersForRetention = minOrdersForRetention;
        this.maxItems = maxItems;
    }

    public Outcome decide(ScoredEvent scored, boolean personalize, PopularItems popular) {
        FeaturizedEvent in = scored.input;
        ModelResult propensity = scored.model(PROPENSITY_MODEL);
        Outcome out = new Outcome();
        if (propensity == null || !propensity.isOk()) {
            out.fallback = true;
            out.fallbackReason = "model " + PROPENSITY_MODEL + " "
                    + (propensity == null ? "missing" : propensity.status + ": " + propensity.error);
            out.reasons.add("FALLBACK_NON_PERSONALIZED");
            out.reasons.add("MODEL_" + PROPENSITY_MODEL.toUpperCase(Locale.ROOT) + "_"
                    + (propensity == null ? "MISSING" : propensity.status));
            return withItems(out, Action.SHOW_RECOMMENDATIONS, popularOnly(popular));
        }
        if (!personalize) {
            out.reasons.add("EXPERIMENT_CONTROL_NON_PERSONALIZED");
            return withItems(out, Action.SHOW_RECOMMENDATIONS, popularOnly(popular));
        }
        double p = propensity.score;
        ModelResult segment = scored.model(SEGMENT_MODEL);
        if (segment != null && segment.isOk() && segment.label != null) {
            out.reasons.add("SEGMENT_" + segment.label);
        }
        List<ScoredItem> items = recommended(scored, in, popular, out);
        if (in.event.getEventType() == EventType.REVIEW) {
            ModelResult sentiment = scored.model(SENTIMENT_MODEL);
            if (sentiment != null && sentiment.isOk()) {
                if (sentiment.score < NEGATIVE_SENTIMENT_THRESHOLD) {
                    out.reasons.add(String.format(Locale.ROOT, "NEGATIVE_REVIEW(p_positive=%.3f)", sentiment.score));
                    return withItems(out, Action.SEND_REVIEW_FOLLOW_UP, items);
                }
                out.reasons.add(String.format(Locale.ROOT, "POSITIVE_REVIEW(p_positive=%.3f)", sentiment.score));
            } else {
                out.reasons.add("REVIEW_RECEIVED_SENTIMENT_" + (sentiment == null ? "MISSING" : sentiment.status));
                return withItems(out, Action.SEND_REVIEW_FOLLOW_UP, items);
            }
        }
        ModelResult churn = scored.model(CHURN_MODEL);
        if (in.orders >= minOrdersForRetention) {
            if (churn != null && churn.isOk() && churn.score >= CHURN_RISK_THRESHOLD) {
                out.reasons.add(String.format(Locale.ROOT, "HIGH_CHURN_RISK(p=%.3f>=%.3f)", churn.score, CHURN_RISK_THRESHOLD));
                out.reasons.add("REPEAT_CUSTOMER(orders=" + in.orders + ")");
                return withItems(out, Action.SEND_RETENTION_OFFER, items);
            }
            if ((churn == null || !churn.isOk()) && p < retentionThreshold) {
                out.reasons.add(String.format(Locale.ROOT, "LOW_PURCHASE_PROPENSITY(p=%.3f<%.3f)", p, retentionThreshold));
                out.reasons.add("REPEAT_CUSTOMER(orders=" + in.orders + ")");
                return withItems(out, Action.SEND_RETENTION_OFFER, items);
            }
        }
        out.reasons.add(String.format(Locale.ROOT, "PURCHASE_PROPENSITY(p=%.3f)", p));
        return withItems(out, Action.SHOW_RECOMMENDATIONS, items);
    }

    /** The recommender's ranked items when it answered; else the user's own items, then popular ones. */
    private List<ScoredItem> recommended(ScoredEvent scored, FeaturizedEvent in, PopularItems popular, Outcome out) {
        ModelResult recommend = scored.model(RECOMMEND_MODEL);
        if (recommend != null && recommend.isOk() && recommend.items != null && recommend.items.length > 0) {
            List<ScoredItem> items = new ArrayList<>(Math.min(maxItems, recommend.items.length));
            for (int i = 0; i < recommend.items.length && items.size() < maxItems; i++) {
                items.add(new ScoredItem(recommend.items[i], (double) recommend.itemScores[i], recommend.itemSources[i]));
            }
            out.reasons.add("RANKED_BY_RECOMMENDER(" + recommend.version + ")");
            return items;
        }
        out.reasons.add("RECOMMENDER_" + (recommend == null ? "MISSING" : recommend.isOk() ? "NO_CANDIDATES" : recommend.status)
                + "_RANKED_BY_USER_AFFINITY_THEN_POPULARITY");
        return personalized(in, popular);
    }

    private static Outcome withItems(Outcome out, Action action, List<ScoredItem> items) {
        if (items.isEmpty()) {
            out.action = Action.NO_ACTION;
            out.reasons.add("NO_CANDIDATE_ITEMS");
        } else {
            out.action = action;
        }
        out.items = items;
        return out;
    }

    /** The user's own items by affinity (scores in (1, 2]), then popular items they have not had (in [0, 1)). */
    List<ScoredItem> personalized(FeaturizedEvent in, PopularItems popular) {
        List<ScoredItem> items = new ArrayList<>(maxItems);
        Set<String> seen = new HashSet<>();
        double top = in.affinityScores.length == 0 ? 1 : in.affinityScores[0];
        for (int i = 0; i < in.affinityItems.length && items.size() < maxItems; i++) {
            if (seen.add(in.affinityItems[i])) {
                items.add(new ScoredItem(in.affinityItems[i], 1 + in.affinityScores[i] / top, SOURCE_HISTORY));
            }
        }
        addPopular(items, seen, popular);
        return items;
    }

    List<ScoredItem> popularOnly(PopularItems popular) {
        List<ScoredItem> items = new ArrayList<>(maxItems);
        addPopular(items, new HashSet<>(), popular);
        return items;
    }

    private void addPopular(List<ScoredItem> items, Set<String> seen, PopularItems popular) {
        double top = popular.size() == 0 ? 1 : popular.score(0);
        for (int i = 0; i < popular.size() && items.size() < maxItems; i++) {
            if (seen.add(popular.item(i))) {
                // strictly below any history item, order preserved
                items.add(new ScoredItem(popular.item(i), 0.999 * popular.score(i) / top, SOURCE_POPULAR));
            }
        }
    }

    /** What the policy decided; the operator adds ids, experiment and model details. */
    public static final class Outcome {
        public Action action;
        public List<ScoredItem> items = List.of();
        public final List<String> reasons = new ArrayList<>();
        public boolean fallback;
        public String fallbackReason;
    }
}
