package io.personalize.udfs.decision;

import static io.personalize.udfs.TestEvents.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.Action;
import io.personalize.schema.EventType;
import io.personalize.schema.ExperimentAssignment;
import io.personalize.schema.ModelStatus;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.ScoredItem;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TestEvents;
import io.personalize.udfs.TrainedModels;
import io.personalize.udfs.experiment.Experiment;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.model.ModelResult;
import io.personalize.udfs.model.ScoredEvent;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import io.personalize.schema.ControlEvent;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DecideAndAssignTest {
    private static final Experiment EXPERIMENT = Experiment.twoWay("personalization-v1", "control", "personalized");

    /** Users that GrowthBook puts in control (0) and treatment (1) of {@link #EXPERIMENT}. */
    private static String userIn(int variation) {
        for (int i = 0; ; i++) {
            if (EXPERIMENT.assign("user-" + i) == variation) {
                return "user-" + i;
            }
        }
    }

    static KeyedBroadcastOperatorTestHarness<String, DecisionInput, ControlEvent, PersonalizationDecision> harness(
            Experiment configured, OperatorSubtaskState restoreFrom) throws Exception {
        return harness(configured, new DecisionPolicy(0.2, 2, 20), restoreFrom);
    }

    static KeyedBroadcastOperatorTestHarness<String, DecisionInput, ControlEvent, PersonalizationDecision> harness(
            Experiment configured, DecisionPolicy policy, OperatorSubtaskState restoreFrom) throws Exception {
        return harness(configured, policy, TrainedModels.registry(), restoreFrom);
    }

    static KeyedBroadcastOperatorTestHarness<String, DecisionInput, ControlEvent, PersonalizationDecision> harness(
            Experiment configured, DecisionPolicy policy, java.nio.file.Path models, OperatorSubtaskState restoreFrom)
            throws Exception {
        var harness = new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(
                new DecideAndAssign(configured, policy, models.toString(),
                        java.time.Duration.ZERO), List.of(DecideAndAssign.EXPERIMENTS, DecideAndAssign.BANDIT)),
                DecisionInput::userId, Types.STRING, 1, 1, 0);
        harness.setup();
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    private static KeyedBroadcastOperatorTestHarness<String, DecisionInput, ControlEvent, PersonalizationDecision> harness()
            throws Exception {
        return harness(EXPERIMENT, null);
    }

    /** Entries in the operator's keyed state (the harness runs the heap backend). */
    static int keyedStateEntries(KeyedBroadcastOperatorTestHarness<String, DecisionInput, ControlEvent, PersonalizationDecision> harness) {
        var operator = (org.apache.flink.streaming.api.operators.AbstractStreamOperator<?>) harness.getOperator();
        return ((org.apache.flink.runtime.state.heap.HeapKeyedStateBackend<?>) operator.getKeyedStateBackend())
                .numKeyValueStateEntries();
    }

    /** The operator's fallbackDecisions counters by fallbackReason, those above 0. */
    static Map<DecisionPolicy.Fallback, Long> fallbackCounts(
            KeyedBroadcastOperatorTestHarness<String, DecisionInput, ControlEvent, PersonalizationDecision> harness) {
        DecideAndAssign function = (DecideAndAssign) ((CoBroadcastWithKeyedOperator<?, ?, ?, ?>) harness.getOperator())
                .getUserFunction();
        Map<DecisionPolicy.Fallback, Long> counts = new EnumMap<>(DecisionPolicy.Fallback.class);
        for (DecisionPolicy.Fallback reason : DecisionPolicy.Fallback.values()) {
            if (function.fallbackCount(reason) > 0) {
                counts.put(reason, function.fallbackCount(reason));
            }
        }
        return counts;
    }

    static void decide(KeyedBroadcastOperatorTestHarness<String, DecisionInput, ControlEvent, PersonalizationDecision> harness,
            ScoredEvent scored) throws Exception {
        harness.processElement(DecisionInput.of(scored), scored.input.event.getEventTime());
    }

    static ScoredEvent scored(UserEvent event, long orders, String[] history, ModelResult propensity) {
        FeaturizedEvent in = new FeaturizedEvent();
        in.event = event;
        in.features = new float[FeatureVector.SIZE];
        in.orders = orders;
        in.affinityItems = history;
        in.affinityScores = new double[history.length];
        for (int i = 0; i < history.length; i++) {
            in.affinityScores[i] = history.length - i;
        }
        return new ScoredEvent(in, propensity);
    }

    static ModelResult ok(float p) {
        return ModelResult.ok(DecisionPolicy.PROPENSITY_MODEL, "v1", p, 100);
    }

    @Test
    void treatmentGetsPersonalizedRankingAndOneExposure() throws Exception {
        String user = userIn(1);
        try (var harness = harness()) {
            decide(harness, scored(TestEvents.purchase(user, "22423", T0, 1, 1, "o1"), 1,
                    new String[] {"22423", "85123A"}, ok(0.8f)));
            decide(harness, scored(TestEvents.purchase(user, "84879", T0 + 1, 1, 1, "o2"), 2,
                    new String[] {"22423", "85123A", "84879"}, ok(0.7f)));

            List<PersonalizationDecision> decisions = harness.extractOutputValues();
            assertThat(decisions).hasSize(2);
            PersonalizationDecision first = decisions.get(0);
            assertThat(first.getAction()).isEqualTo(Action.SHOW_RECOMMENDATIONS);
            assertThat(first.getVariant()).isEqualTo("personalized");
            assertThat(first.getExperimentId()).isEqualTo("personalization-v1");
            assertThat(first.getItems()).hasSize(20);
            assertThat(first.getItems().subList(0, 2)).extracting(ScoredItem::getItemId).containsExactly("22423", "85123A");
            assertThat(first.getItems().get(2).getSource()).isEqualTo(DecisionPolicy.SOURCE_POPULAR);
            assertThat(first.getItems()).extracting(ScoredItem::getScore).isSortedAccordingTo((a, b) -> Double.compare(b, a));
            assertThat(first.getItems()).extracting(ScoredItem::getItemId).doesNotHaveDuplicates();
            assertThat(first.getReasons()).contains("PURCHASE_PROPENSITY(p=0.800)");
            assertThat(first.getFallback()).isFalse();
            assertThat(first.getModelScores()).extracting(m -> m.getModel()).containsExactly("propensity", "popularity");
            assertThat(first.getDecisionId()).isEqualTo(DecideAndAssign.decisionId(first.getTriggerEventId()))
                    .isNotEqualTo(decisions.get(1).getDecisionId());

            io.personalize.schema.DecisionAudit audit = harness.getSideOutput(DecideAndAssign.DECISION_AUDIT).peek().getValue();
            assertThat(audit.getDecisionId()).isEqualTo(first.getDecisionId());
            assertThat(audit.getFeatures()).hasSize(FeatureVector.SIZE).containsKey("hours_since_last_purchase");
            assertThat(audit.getModels()).singleElement().satisfies(m -> {
                assertThat(m.getModel()).isEqualTo("propensity");
                assertThat(m.getVersion()).isEqualTo("v1");
                assertThat(m.getScore()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-6));
            });
            assertThat(audit.getPolicy()).isEqualTo("RULES");
            assertThat(audit.getEligibleActions()).containsExactly("SHOW_RECOMMENDATIONS", "NO_ACTION");
            assertThat(audit.getReasons()).isEqualTo(first.getReasons());
            assertThat(audit.getItems()).hasSize(20);
            assertThat(harness.getSideOutput(DecideAndAssign.DECISION_AUDIT)).as("one per decision").hasSize(2);

            List<ExperimentAssignment> exposures = harness.getSideOutput(DecideAndAssign.ASSIGNMENTS).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(exposures).hasSize(1);
            assertThat(exposures.get(0).getVariant()).isEqualTo("personalized");
            assertThat(exposures.get(0).getBucket()).isEqualTo(EXPERIMENT.bucketOf(user));
            assertThat(keyedStateEntries(harness)).as("the membership and the decision history").isEqualTo(2);
            assertThat(harness.numProcessingTimeTimers()).isZero();
            assertThat(harness.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void controlGetsTheNonPersonalizedDefault() throws Exception {
        String user = userIn(0);
        try (var harness = harness()) {
            decide(harness, scored(TestEvents.purchase(user, "22423", T0, 1, 1, "o1"), 1,
                    new String[] {"22423"}, ok(0.9f)));
            PersonalizationDecision decision = harness.extractOutputValues().get(0);
            assertThat(decision.getVariant()).isEqualTo("control");
            assertThat(decision.getReasons()).containsExactly("EXPERIMENT_CONTROL_NON_PERSONALIZED");
            assertThat(decision.getItems()).allMatch(i -> i.getSource().equals(DecisionPolicy.SOURCE_POPULAR));
        }
    }

    @Test
    void assignmentIsStickyEvenIfTheExperimentChanges() throws Exception {
        String user = userIn(1);
        try (var harness = harness()) {
            decide(harness, scored(TestEvents.purchase(user, "22423", T0, 1, 1, "o1"), 1,
                    new String[] {"22423"}, ok(0.5f)));
            var snapshot = harness.snapshot(1, 1);
            Experiment reweighted = new Experiment("personalization-v1", List.of("control", "personalized"),
                    new double[] {1.0, 0.0}, 1.0, 2, null, null, 0, 1);
            var restored = harness(reweighted, snapshot);
            decide(restored, scored(TestEvents.purchase(user, "84879", T0 + 5, 1, 1, "o2"), 2,
                    new String[] {"22423"}, ok(0.5f)));
            assertThat(restored.extractOutputValues().get(0).getVariant()).isEqualTo("personalized");
            assertThat(restored.getSideOutput(DecideAndAssign.ASSIGNMENTS)).isNullOrEmpty();
            restored.close();
        }
    }

    @Test
    void anEventReplayedAfterARestoreIsDecidedAgainWithTheSameIdAndTheSameOutcome() throws Exception {
        String user = userIn(1);
        ScoredEvent first = scored(TestEvents.purchase(user, "22423", T0, 1, 1, "o1"), 1, new String[] {"22423"}, ok(0.8f));
        ScoredEvent second = scored(TestEvents.purchase(user, "84879", T0 + 60_000, 1, 1, "o2"), 2,
                new String[] {"22423", "84879"}, ok(0.3f));
        try (var harness = harness()) {
            decide(harness, first);
            var checkpoint = harness.snapshot(1, 1);
            decide(harness, second); // decided, then the task fails before the next checkpoint
            PersonalizationDecision before = harness.extractOutputValues().get(1);
            try (var restored = harness(EXPERIMENT, checkpoint)) {
                decide(restored, second); // the source replays it from the checkpoint's offsets
                PersonalizationDecision after = restored.extractOutputValues().get(0);
                assertThat(after.getDecisionId()).isEqualTo(before.getDecisionId())
                        .isEqualTo(DecideAndAssign.decisionId(second.input.event.getEventId()));
                assertThat(PersonalizationDecision.newBuilder(after).setDecidedAt(before.getDecidedAt()).build())
                        .as("everything but the wall-clock decidedAt").isEqualTo(before);
                assertThat(restored.getSideOutput(DecideAndAssign.ASSIGNMENTS)).as("exposed before the checkpoint")
                        .isNullOrEmpty();
            }
        }
    }

    @Test
    void usersOutsideTheCoverageGetControlBehaviourAndNoExposure() throws Exception {
        Experiment nobody = new Experiment("personalization-v1", List.of("control", "personalized"), null, 0.0, 2,
                null, null, 0, 1);
        var harness = harness(nobody, null);
        decide(harness, scored(TestEvents.purchase(userIn(1), "22423", T0, 1, 1, "o1"), 1,
                new String[] {"22423"}, ok(0.9f)));
        PersonalizationDecision decision = harness.extractOutputValues().get(0);
        assertThat(decision.getVariant()).isNull();
        assertThat(decision.getExperimentId()).isNull();
        assertThat(decision.getItems()).allMatch(i -> i.getSource().equals(DecisionPolicy.SOURCE_POPULAR));
        assertThat(harness.getSideOutput(DecideAndAssign.ASSIGNMENTS)).isNullOrEmpty();
        assertThat(keyedStateEntries(harness)).as("the decision history only").isEqualTo(1);
        harness.close();
    }

    @Test
    void modelTimeoutFallsBackAndSaysWhy() throws Exception {
        String user = userIn(1);
        try (var harness = harness()) {
            decide(harness, scored(TestEvents.purchase(user, "22423", T0, 1, 1, "o1"), 1, new String[] {"22423"},
                    ModelResult.failed("propensity", "v1", ModelStatus.TIMEOUT, "no score within the timeout", -1)));
            PersonalizationDecision decision = harness.extractOutputValues().get(0);
            assertThat(decision.getFallback()).isTrue();
            assertThat(decision.getFallbackReason()).contains("TIMEOUT");
            assertThat(decision.getReasons()).contains("FALLBACK_NON_PERSONALIZED", "MODEL_PROPENSITY_TIMEOUT");
            assertThat(decision.getItems()).isNotEmpty().allMatch(i -> i.getSource().equals(DecisionPolicy.SOURCE_POPULAR));
            assertThat(decision.getModelScores().get(0).getScore()).isNull();
            assertThat(decision.getModelScores().get(0).getStatus()).isEqualTo(ModelStatus.TIMEOUT);
            assertThat(fallbackCounts(harness)).containsExactly(Map.entry(DecisionPolicy.Fallback.PROPENSITY_TIMEOUT, 1L));
        }
    }

    @Test
    void lowPropensityRepeatCustomerGetsRetentionOfferAndReviewsGetFollowUp() throws Exception {
        String user = userIn(1);
        try (var harness = harness()) {
            decide(harness, scored(TestEvents.of(EventType.VIEW, user, "22423", T0), 3, new String[] {"22423"},
                    ok(0.05f)));
            decide(harness, scored(TestEvents.of(EventType.REVIEW, user, "22423", T0 + 1), 3,
                    new String[] {"22423"}, ok(0.5f)));
            decide(harness, scored(TestEvents.of(EventType.VIEW, user, "84879", T0 + 2), 1, new String[] {"22423"},
                    ok(0.05f)));
            List<PersonalizationDecision> decisions = harness.extractOutputValues();
            assertThat(decisions.get(0).getAction()).isEqualTo(Action.SEND_RETENTION_OFFER);
            assertThat(decisions.get(0).getReasons()).contains("LOW_PURCHASE_PROPENSITY(p=0.050<0.200)",
                    "REPEAT_CUSTOMER(orders=3)");
            assertThat(decisions.get(1).getAction()).isEqualTo(Action.SEND_REVIEW_FOLLOW_UP);
            assertThat(decisions.get(2).getAction()).as("a first-time buyer is not a retention case")
                    .isEqualTo(Action.SHOW_RECOMMENDATIONS);
        }
    }

    @Test
    void eraseUserDeletesTheAssignmentsAndIsAudited() throws Exception {
        String user = userIn(1);
        try (var harness = harness()) {
            decide(harness, scored(TestEvents.purchase(user, "22423", T0, 1, 1, "o1"), 1,
                    new String[] {"22423"}, ok(0.5f)));
            assertThat(keyedStateEntries(harness)).as("the membership and the decision history").isEqualTo(2);
            harness.processElement(DecisionInput.of(ControlEvent.newBuilder().setRequestId("req-9")
                    .setCommand(io.personalize.schema.ControlCommand.ERASE_USER).setUserId(user)
                    .setRequestedAt(T0).build()), T0);
            assertThat(keyedStateEntries(harness)).isZero();
            assertThat(harness.getSideOutput(io.personalize.udfs.control.AuditRecords.AUDIT)).singleElement()
                    .satisfies(r -> {
                        assertThat(r.getValue().getKind()).isEqualTo("USER_ERASED");
                        assertThat(r.getValue().getComponent()).isEqualTo(DecideAndAssign.COMPONENT);
                        assertThat(r.getValue().getUserId()).isEqualTo(user);
                    });
        }
    }
}
