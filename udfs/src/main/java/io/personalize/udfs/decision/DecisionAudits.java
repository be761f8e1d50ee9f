package io.personalize.udfs.decision;

import io.personalize.schema.Action;
import io.personalize.schema.AuditedModel;
import io.personalize.schema.DecisionAudit;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.ScoredItem;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.model.ModelResult;
import io.personalize.udfs.model.ScoredEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The decision-audit record of a decision: its inputs, every model's answer, and the policy's outcome. */
final class DecisionAudits {
    private DecisionAudits() {}

    static DecisionAudit of(PersonalizationDecision decision, ScoredEvent scored, DecisionPolicy.Outcome outcome) {
        float[] values = scored.input.features;
        Map<String, Float> features = new HashMap<>(2 * FeatureVector.SIZE);
        for (int i = 0; values != null && i < values.length; i++) {
            features.put(FeatureVector.NAMES.get(i), values[i]);
        }
        List<AuditedModel> models = new ArrayList<>(scored.models.length);
        for (ModelResult r : scored.models) {
            if (!r.notApplicable) {
                models.add(new AuditedModel(r.model, r.version, r.status.name(), r.isOk() ? (double) r.score : null,
                        r.label, r.error));
            }
        }
        List<String> eligible = new ArrayList<>();
        for (Action a : Action.values()) {
            if (outcome.eligible != null && outcome.eligible[a.ordinal()]) {
                eligible.add(a.name());
            }
        }
        return DecisionAudit.newBuilder()
                .setDecisionId(decision.getDecisionId())
                .setUserId(decision.getUserId())
                .setTriggerEventId(decision.getTriggerEventId())
                .setTriggerEventType(decision.getTriggerEventType())
                .setEventTime(decision.getEventTime())
                .setDecidedAt(decision.getDecidedAt())
                .setFeatures(features)
                .setOrders(scored.input.orders)
                .setModels(models)
                .setExperimentId(decision.getExperimentId())
                .setVariant(decision.getVariant())
                .setPolicy(outcome.policy)
                .setEligibleActions(eligible)
                .setAction(decision.getAction().name())
                .setActionProbability(outcome.actionProbability)
                .setConfidence(outcome.confidence)
                .setItems(decision.getItems().stream().map(ScoredItem::getItemId).toList())
                .setCatalogVersion(decision.getCatalogVersion())
                .setReasons(decision.getReasons())
                .setFallback(decision.getFallback())
                .setFallbackReason(decision.getFallbackReason())
                .setSentForReview(outcome.forReview != null)
                .build();
    }
}
