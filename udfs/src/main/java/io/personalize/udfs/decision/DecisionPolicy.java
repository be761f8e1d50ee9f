package io.personalize.udfs.decision;

import io.personalize.schema.Action;
import io.personalize.schema.EventType;
import io.personalize.schema.ScoredItem;
import io.personalize.udfs.bandit.BanditStatistics;
import io.personalize.udfs.bandit.DecisionContext;
import io.personalize.udfs.bandit.LinearBandit;
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
 * Turns one scored event into an action, a ranked item list and the reasons for both. Policy comes
 * before any model: a required model that failed, control, or an opted-out user get the default;
 * messages are only eligible within the frequency cap and cool-down and outside the suppression
 * after a purchase or a negative review. Among the eligible actions the rules choose, or, for the
 * bandit's variant, the contextual bandit. A personalized decision below the confidence threshold
 * is replaced by the default (and kept for review if configured). Pure: the keyed operator around it
 * owns state, experiments and output.
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
    private static final long DAY_MS = 24 * 3600 * 1000L;

    /** What chooses the action for this user. */
    public enum Treatment { DEFAULT, RULES, BANDIT }

    /**
     * Why a decision fell back to the default, as a fixed set (the {@code fallbackReason} label of the
     * operator's metrics, so its cardinality is bounded); the decision's fallbackReason says it in words.
     */
    public enum Fallback {
        /** The approved catalog or the safety screen could not be loaded: nothing is shown. */
        FAIL_CLOSED,
        PROPENSITY_MISSING,
        PROPENSITY_TIMEOUT,
        PROPENSITY_ERROR,
        /** The model is not loaded (or gave no score for the event). */
        PROPENSITY_UNAVAILABLE,
        LOW_CONFIDENCE;

        static Fallback ofPropensity(ModelResult propensity) {
            if (propensity == null) {
                return PROPENSITY_MISSING;
            }
            return switch (propensity.status) {
                case TIMEOUT -> PROPENSITY_TIMEOUT;
                case ERROR -> PROPENSITY_ERROR;
                default -> PROPENSITY_UNAVAILABLE;
            };
        }
    }

    private final double retentionThreshold;
    private final int minOrdersForRetention;
    private final int maxItems;
    private final PolicyRules rules;
    private transient LinearBandit coldBandit;

    public DecisionPolicy(double retentionThreshold, int minOrdersForRetention, int maxItems) {
        this(retentionThreshold, minOrdersForRetention, maxItems, PolicyRules.defaults());
    }

    public DecisionPolicy(double retentionThreshold, int minOrdersForRetention, int maxItems, PolicyRules rules) {
        this.retentionThreshold = retentionThreshold;
        this.minOrdersForRetention = minOrdersForRetention;
        this.maxItems = maxItems;
        this.rules = rules;
    }

    public PolicyRules rules() {
        return rules;
    }

    /**
     * @param defaultReason why the user gets the default, when {@code treatment} is DEFAULT
     * @param history the user's history, already holding this event's purchase if it is one
     * @param bandit the shared bandit's latest fit, or null before the first update (a cold start)
     * @param draw uniform in [0, 1), derived from the decision id so a replay decides the same
     * @param gate the approved catalog and safety screen every item must pass
     */
    public Outcome decide(ScoredEvent scored, Treatment treatment, String defaultReason, DecisionHistory history,
            PopularItems popular, LinearBandit bandit, double draw, ItemGate gate) {
        Outcome out = new Outcome();
        if (gate.unavailable() != null) {
            out.fallback = Fallback.FAIL_CLOSED;
            out.fallbackReason = gate.unavailable();
            out.reasons.add("FAIL_CLOSED_NOTHING_SHOWN");
            out.action = Action.NO_ACTION;
            return out;
        }
        out.catalogVersion = gate.catalogVersion();
        ItemGate.Check check = gate.check();
        Outcome decided = decide(scored, treatment, defaultReason, history, popular, bandit, draw, check, out);
        decided.reasons.addAll(check.reasons());
        if (decided.forReview != null) {
            decided.forReview.catalogVersion = out.catalogVersion;
        }
        return decided;
    }

    private Outcome decide(ScoredEvent scored, Treatment treatment, String defaultReason, DecisionHistory history,
            PopularItems popular, LinearBandit bandit, double draw, ItemGate.Check check, Outcome out) {
        FeaturizedEvent in = scored.input;
        ModelResult propensity = scored.model(PROPENSITY_MODEL);
        if (propensity == null || !propensity.isOk()) {
            out.fallback = Fallback.ofPropensity(propensity);
            out.fallbackReason = "model " + PROPENSITY_MODEL + " "
                    + (propensity == null ? "missing" : propensity.status + ": " + propensity.error);
            out.reasons.add("FALLBACK_NON_PERSONALIZED");
            out.reasons.add("MODEL_" + PROPENSITY_MODEL.toUpperCase(Locale.ROOT) + "_"
                    + (propensity == null ? "MISSING" : propensity.status));
            return withItems(out, Action.SHOW_RECOMMENDATIONS, popularOnly(popular, check));
        }
        if (treatment == Treatment.DEFAULT) {
            out.reasons.add(defaultReason);
            return withItems(out, Action.SHOW_RECOMMENDATIONS, popularOnly(popular, check));
        }
        double p = propensity.score;
        ModelResult segment = scored.model(SEGMENT_MODEL);
        if (segment != null && segment.isOk() && segment.label != null) {
            out.reasons.add("SEGMENT_" + segment.label);
        }
        List<ScoredItem> items = recommended(scored, in, popular, out, check);
        long now = in.event.getEventTime();
        ModelResult sentiment = in.event.getEventType() == EventType.REVIEW ? scored.model(SENTIMENT_MODEL) : null;
        boolean negativeReview = sentiment != null && sentiment.isOk() && sentiment.score < NEGATIVE_SENTIMENT_THRESHOLD;
        out.negativeReview = negativeReview;
        boolean[] eligible = eligibleActions(in, history, now, !items.isEmpty(), out.reasons);
        out.eligible = eligible;
        Outcome chosen = treatment == Treatment.BANDIT
                ? byBandit(scored, eligible, bandit, draw, items, out)
                : byRules(scored, p, sentiment, negativeReview, eligible, items, out);
        return checkConfidence(chosen, popular, check);
    }

    private Outcome byRules(ScoredEvent scored, double p, ModelResult sentiment, boolean negativeReview,
            boolean[] eligible, List<ScoredItem> items, Outcome out) {
        FeaturizedEvent in = scored.input;
        out.policy = "RULES";
        if (in.event.getEventType() == EventType.REVIEW) {
            boolean unknown = sentiment == null || !sentiment.isOk();
            if (unknown) {
                out.reasons.add("REVIEW_RECEIVED_SENTIMENT_" + (sentiment == null ? "MISSING" : sentiment.status));
            } else {
                out.reasons.add(String.format(Locale.ROOT, "%s_REVIEW(p_positive=%.3f)",
                        negativeReview ? "NEGATIVE" : "POSITIVE", sentiment.score));
            }
            if ((unknown || negativeReview) && eligible[Action.SEND_REVIEW_FOLLOW_UP.ordinal()]) {
                out.confidence = unknown ? null : 1.0 - sentiment.score;
                out.drivingModel = SENTIMENT_MODEL;
                return withItems(out, Action.SEND_REVIEW_FOLLOW_UP, items);
            }
        }
        ModelResult churn = scored.model(CHURN_MODEL);
        if (in.orders >= minOrdersForRetention && eligible[Action.SEND_RETENTION_OFFER.ordinal()]) {
            if (churn != null && churn.isOk() && churn.score >= CHURN_RISK_THRESHOLD) {
                out.reasons.add(String.format(Locale.ROOT, "HIGH_CHURN_RISK(p=%.3f>=%.3f)", churn.score, CHURN_RISK_THRESHOLD));
                out.reasons.add("REPEAT_CUSTOMER(orders=" + in.orders + ")");
                out.confidence = (double) churn.score;
                out.drivingModel = CHURN_MODEL;
                return withItems(out, Action.SEND_RETENTION_OFFER, items);
            }
            if ((churn == null || !churn.isOk()) && p < retentionThreshold) {
                out.reasons.add(String.format(Locale.ROOT, "LOW_PURCHASE_PROPENSITY(p=%.3f<%.3f)", p, retentionThreshold));
                out.reasons.add("REPEAT_CUSTOMER(orders=" + in.orders + ")");
                out.confidence = 1 - p;
                out.drivingModel = PROPENSITY_MODEL;
                return withItems(out, Action.SEND_RETENTION_OFFER, items);
            }
        }
        out.reasons.add(String.format(Locale.ROOT, "PURCHASE_PROPENSITY(p=%.3f)", p));
        if (!rules.actions().contains(Action.SHOW_RECOMMENDATIONS)) {
            out.reasons.add("ACTION_DISABLED(SHOW_RECOMMENDATIONS)");
            return withItems(out, Action.NO_ACTION, List.of());
        }
        out.confidence = Math.max(p, 1 - p);
        out.drivingModel = PROPENSITY_MODEL;
        return withItems(out, Action.SHOW_RECOMMENDATIONS, items);
    }

    private Outcome byBandit(ScoredEvent scored, boolean[] eligible, LinearBandit bandit, double draw,
            List<ScoredItem> items, Outcome out) {
        if (bandit == null) {
            if (coldBandit == null) {
                coldBandit = new LinearBandit(new BanditStatistics(Action.values().length, DecisionContext.DIMENSION),
                        rules.bandit());
            }
            bandit = coldBandit;
        }
        double[] context = DecisionContext.of(scored);
        LinearBandit.Choice choice = bandit.choose(context, eligible, draw);
        Action action = Action.values()[choice.action()];
        out.policy = "BANDIT";
        out.actionProbability = choice.probability();
        out.banditContext = context;
        out.reasons.add(String.format(Locale.ROOT, "BANDIT(%s, p=%.3f, ucb=%.3f)", action, choice.probability(),
                choice.upperBounds()[choice.action()]));
        return withItems(out, action, action == Action.NO_ACTION ? List.of() : items);
    }

    /** Which actions policy allows now; the reasons say what it held back. */
    boolean[] eligibleActions(FeaturizedEvent in, DecisionHistory history, long now, boolean haveItems,
            List<String> reasons) {
        boolean[] eligible = new boolean[Action.values().length];
        eligible[Action.NO_ACTION.ordinal()] = true;
        eligible[Action.SHOW_RECOMMENDATIONS.ordinal()] = haveItems;
        boolean review = in.event.getEventType() == EventType.REVIEW;
        eligible[Action.SEND_REVIEW_FOLLOW_UP.ordinal()] = review
                && messageAllowed(Action.SEND_REVIEW_FOLLOW_UP, history, now, reasons);
        if (in.orders >= minOrdersForRetention) {
            boolean allowed = true;
            if (history.lastPurchaseAt != DecisionHistory.NEVER
                    && now - history.lastPurchaseAt < rules.suppressAfterPurchase().toMillis()) {
                reasons.add("SUPPRESSED_AFTER_PURCHASE(SEND_RETENTION_OFFER)");
                allowed = false;
            }
            if (history.lastNegativeReviewAt != DecisionHistory.NEVER
                    && now - history.lastNegativeReviewAt < rules.suppressAfterNegativeReview().toMillis()) {
                reasons.add("SUPPRESSED_AFTER_NEGATIVE_REVIEW(SEND_RETENTION_OFFER)");
                allowed = false;
            }
            eligible[Action.SEND_RETENTION_OFFER.ordinal()] = allowed
                    && messageAllowed(Action.SEND_RETENTION_OFFER, history, now, reasons);
        }
        for (Action action : Action.values()) {
            eligible[action.ordinal()] &= rules.actions().contains(action);
        }
        return eligible;
    }

    private boolean messageAllowed(Action action, DecisionHistory history, long now, List<String> reasons) {
        if (history.messagesSince(now, DAY_MS) >= rules.maxMessagesPerDay()) {
            reasons.add("FREQUENCY_CAPPED(" + action + ": " + rules.maxMessagesPerDay() + " messages per 24h)");
            return false;
        }
        long last = history.lastActionAt[action.ordinal()];
        if (last != DecisionHistory.NEVER && now - last < rules.messageCooldown().toMillis()) {
            reasons.add("COOLDOWN(" + action + ": last " + (now - last) / 60_000 + " min ago, cool-down "
                    + rules.messageCooldown().toHours() + " h)");
            return false;
        }
        return true;
    }

    private Outcome checkConfidence(Outcome chosen, PopularItems popular, ItemGate.Check check) {
        if (chosen.confidence == null || chosen.confidence >= rules.minConfidence()) {
            return chosen;
        }
        Outcome fallback = new Outcome();
        fallback.catalogVersion = chosen.catalogVersion;
        fallback.reasons.add(String.format(Locale.ROOT, "LOW_CONFIDENCE(%s %s=%.3f<%.3f)", chosen.action,
                chosen.drivingModel == null ? "model" : chosen.drivingModel, chosen.confidence, rules.minConfidence()));
        fallback.fallback = Fallback.LOW_CONFIDENCE;
        fallback.fallbackReason = "confidence " + String.format(Locale.ROOT, "%.3f", chosen.confidence)
                + " below " + rules.minConfidence();
        fallback.negativeReview = chosen.negativeReview;
        if (rules.lowConfidence() == PolicyRules.LowConfidence.REVIEW) {
            fallback.forReview = chosen;
            fallback.reasons.add("SENT_FOR_REVIEW");
        }
        return withItems(fallback, Action.SHOW_RECOMMENDATIONS, popularOnly(popular, check));
    }

    /** The recommender's ranked items when it answered; else the user's own items, then popular ones. */
    private List<ScoredItem> recommended(ScoredEvent scored, FeaturizedEvent in, PopularItems popular, Outcome out,
            ItemGate.Check check) {
        ModelResult recommend = scored.model(RECOMMEND_MODEL);
        if (recommend != null && recommend.isOk() && recommend.items != null && recommend.items.length > 0) {
            List<ScoredItem> items = new ArrayList<>(Math.min(maxItems, recommend.items.length));
            for (int i = 0; i < recommend.items.length && items.size() < maxItems; i++) {
                if (check.allows(recommend.items[i])) {
                    items.add(new ScoredItem(recommend.items[i], (double) recommend.itemScores[i], recommend.itemSources[i]));
                }
            }
            out.reasons.add("RANKED_BY_RECOMMENDER(" + recommend.version + ")");
            return items;
        }
        out.reasons.add("RECOMMENDER_" + (recommend == null ? "MISSING" : recommend.isOk() ? "NO_CANDIDATES" : recommend.status)
                + "_RANKED_BY_USER_AFFINITY_THEN_POPULARITY");
        return personalized(in, popular, check);
    }

    private static Outcome withItems(Outcome out, Action action, List<ScoredItem> items) {
        if (items.isEmpty() && action != Action.NO_ACTION) {
            out.action = Action.NO_ACTION;
            out.reasons.add("NO_CANDIDATE_ITEMS");
        } else {
            out.action = action;
        }
        out.items = items;
        return out;
    }

    /** The user's own items by affinity (scores in (1, 2]), then popular items they have not had (in [0, 1)). */
    List<ScoredItem> personalized(FeaturizedEvent in, PopularItems popular, ItemGate.Check check) {
        List<ScoredItem> items = new ArrayList<>(maxItems);
        Set<String> seen = new HashSet<>();
        double top = in.affinityScores.length == 0 ? 1 : in.affinityScores[0];
        for (int i = 0; i < in.affinityItems.length && items.size() < maxItems; i++) {
            if (seen.add(in.affinityItems[i]) && check.allows(in.affinityItems[i])) {
                items.add(new ScoredItem(in.affinityItems[i], 1 + in.affinityScores[i] / top, SOURCE_HISTORY));
            }
        }
        addPopular(items, seen, popular, check);
        return items;
    }

    List<ScoredItem> popularOnly(PopularItems popular, ItemGate.Check check) {
        List<ScoredItem> items = new ArrayList<>(maxItems);
        addPopular(items, new HashSet<>(), popular, check);
        return items;
    }

    private void addPopular(List<ScoredItem> items, Set<String> seen, PopularItems popular, ItemGate.Check check) {
        double top = popular.size() == 0 ? 1 : popular.score(0);
        for (int i = 0; i < popular.size() && items.size() < maxItems; i++) {
            if (seen.add(popular.item(i)) && check.allows(popular.item(i))) {
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
        /** Why the default was given instead of a personalized decision; null when it was not. */
        public Fallback fallback;
        public String fallbackReason;
        /** DEFAULT, RULES or BANDIT. */
        public String policy = "DEFAULT";
        public double actionProbability = 1;
        public Double confidence;
        public String drivingModel;
        /** The bandit's context when it chose, for its reward later; null otherwise. */
        public double[] banditContext;
        public boolean negativeReview;
        /** What policy allowed (by action ordinal); null when the default was decided before any rule. */
        public boolean[] eligible;
        /** The approved catalog every item was checked against. */
        public String catalogVersion;
        /** The personalized decision held back for review, when the confidence rule sent it there. */
        public Outcome forReview;
    }
}
