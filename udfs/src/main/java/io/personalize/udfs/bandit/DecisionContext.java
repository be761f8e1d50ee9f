package io.personalize.udfs.bandit;

import io.personalize.schema.EventType;
import io.personalize.udfs.model.ModelResult;
import io.personalize.udfs.model.ScoredEvent;
import java.util.List;
import java.util.Set;

/**
 * The decision bandit's context: what the models said about the user and the event, as a few
 * numbers in [0, 1] with a bias term. A missing model contributes its neutral value (0.5).
 */
public final class DecisionContext {
    public static final List<String> NAMES = List.of("bias", "propensity", "churn", "sentimentPositive", "isReview",
            "orders", "loyalSegment");
    public static final int DIMENSION = NAMES.size();
    private static final Set<String> LOYAL_SEGMENTS = Set.of("CHAMPIONS", "LOYAL");

    private DecisionContext() {}

    public static double[] of(ScoredEvent scored) {
        ModelResult segment = scored.model("segment");
        return new double[] {
            1,
            score(scored, "propensity"),
            score(scored, "churn"),
            score(scored, "sentiment"),
            scored.input.event.getEventType() == EventType.REVIEW ? 1 : 0,
            Math.min(scored.input.orders, 20) / 20.0,
            segment != null && segment.isOk() && LOYAL_SEGMENTS.contains(segment.label) ? 1 : 0
        };
    }

    private static double score(ScoredEvent scored, String model) {
        ModelResult r = scored.model(model);
        return r != null && r.isOk() && !r.notApplicable ? r.score : 0.5;
    }
}
