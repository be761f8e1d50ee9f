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
        List<ScoredItem> items = personalized(in, popular);
        if (in.event.getEventType() == EventType.REVIEW) {
            out.reasons.add("REVIEW_RECEIVED");
            return withItems(out, Action.SEND_REVIEW_FOLLOW_UP, items);
        }
        if (in.orders >= minOrdersForRetention && p < retentionThreshold) {
            out.reasons.add(String.format(Locale.ROOT, "LOW_PURCHASE_PROPENSITY(p=%.3f<%.3f)", p, retentionThreshold));
            out.reasons.add("REPEAT_CUSTOMER(orders=" + in.orders + ")");
            return withItems(out, Action.SEND_RETENTION_OFFER, items);
        }
        out.reasons.add(String.format(Locale.ROOT, "PURCHASE_PROPENSITY(p=%.3f)", p));
        out.reasons.add(in.affinityItems.length > 0 ? "RANKED_BY_USER_AFFINITY_THEN_POPULARITY" : "NEW_USER_POPULAR_ITEMS");
        return withItems(out, Action.SHOW_RECOMMENDATIONS, items);
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
