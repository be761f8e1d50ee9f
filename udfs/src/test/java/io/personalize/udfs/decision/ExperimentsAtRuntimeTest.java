package io.personalize.udfs.decision;

import static io.personalize.udfs.TestEvents.T0;
import static io.personalize.udfs.decision.DecideAndAssignTest.decide;
import static io.personalize.udfs.decision.DecideAndAssignTest.harness;
import static io.personalize.udfs.decision.DecideAndAssignTest.ok;
import static io.personalize.udfs.decision.DecideAndAssignTest.scored;
import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.AuditRecord;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.EventType;
import io.personalize.schema.ExperimentAssignment;
import io.personalize.schema.ExperimentDefinition;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.udfs.TestEvents;
import io.personalize.udfs.control.AuditRecords;
import io.personalize.udfs.experiment.Experiment;
import io.personalize.udfs.experiment.ExperimentCommands;
import io.personalize.udfs.experiment.ExperimentMembership;
import io.personalize.udfs.experiment.ExperimentObservation;
import io.personalize.udfs.experiment.LiveExperiment;
import java.util.List;
import java.util.function.IntPredicate;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/** Experiments started, re-weighted and stopped through the control topic's broadcast. */
class ExperimentsAtRuntimeTest {
    private static final Experiment CONFIGURED = Experiment.twoWay("personalization-v1", "control", "personalized");
    private static final ExperimentDefinition RANKER = ExperimentDefinition.newBuilder()
            .setKey("ranker-v2").setVariations(List.of("control", "ranker", "ranker-wide")).build();

    private static ControlEvent command(ControlCommand command, ExperimentDefinition experiment, String key,
            String variant, List<Double> weights) {
        return ControlEvent.newBuilder().setRequestId("req-" + command + "-" + key + "-" + variant)
                .setCommand(command).setExperiment(experiment).setExperimentKey(key).setVariant(variant)
                .setWeights(weights).setReason(command == ControlCommand.STOP_VARIANT ? "looked bad" : null)
                .setRequestedBy("test").setRequestedAt(T0).build();
    }

    private static String user(Experiment experiment, IntPredicate variation, int from) {
        for (int i = from; ; i++) {
            if (variation.test(experiment.assign("user-" + i))) {
                return "user-" + i;
            }
        }
    }

    private static List<ExperimentObservation> observations(KeyedBroadcastOperatorTestHarness<?, ?, ?, ?> harness) {
        var out = harness.getSideOutput(DecideAndAssign.EXPERIMENT_OBSERVATIONS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    private static List<AuditRecord> audits(KeyedBroadcastOperatorTestHarness<?, ?, ?, ?> harness) {
        var out = harness.getSideOutput(AuditRecords.AUDIT);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void anExperimentStartedAtRunTimeAssignsUsersAndAVariantStopGivesItsUsersControl() throws Exception {
        Experiment ranker = LiveExperiment.of(RANKER, 0).toExperiment();
        String user = user(ranker, v -> v == 1, 0);
        try (var harness = harness(CONFIGURED, null)) {
            harness.processBroadcastElement(command(ControlCommand.STOP_EXPERIMENT, null, CONFIGURED.key(), null, List.of()), T0);
            harness.processBroadcastElement(command(ControlCommand.START_EXPERIMENT, RANKER, null, null, List.of()), T0);
            decide(harness, scored(TestEvents.of(EventType.VIEW, user, "22423", T0), 1, new String[] {"22423"}, ok(0.6f)));
            decide(harness, scored(TestEvents.purchase(user, "22423", T0 + 1, 2.5, 2, "o1"), 1, new String[] {"22423"}, ok(0.6f)));
            harness.processBroadcastElement(command(ControlCommand.STOP_VARIANT, null, "ranker-v2", "ranker", List.of()), T0 + 2);
            decide(harness, scored(TestEvents.purchase(user, "84879", T0 + 3, 1, 1, "o2"), 1, new String[] {"22423"}, ok(0.6f)));

            List<PersonalizationDecision> decisions = harness.extractOutputValues();
            assertThat(decisions).extracting(PersonalizationDecision::getExperimentId).containsOnly("ranker-v2");
            assertThat(decisions).extracting(PersonalizationDecision::getVariant).containsOnly("ranker");
            assertThat(decisions.get(1).getReasons()).noneMatch(r -> r.startsWith("VARIANT_STOPPED"))
                    .doesNotContain("EXPERIMENT_CONTROL_NON_PERSONALIZED");
            assertThat(decisions.get(2).getReasons()).containsExactly("VARIANT_STOPPED(ranker-v2/ranker: looked bad)");
            assertThat(decisions.get(2).getPolicy()).isEqualTo("DEFAULT");
            assertThat(decisions.get(2).getItems()).allMatch(i -> i.getSource().equals(DecisionPolicy.SOURCE_POPULAR));

            assertThat(harness.getSideOutput(DecideAndAssign.ASSIGNMENTS)).singleElement()
                    .extracting(r -> ((ExperimentAssignment) r.getValue()).getExperimentId()).isEqualTo("ranker-v2");
            List<ExperimentObservation> observed = observations(harness);
            assertThat(observed).as("exposure, then the purchase after it; none once the variant is stopped").hasSize(2);
            assertThat(observed.get(0).exposure).isTrue();
            assertThat(observed.get(1).firstConversion).isTrue();
            assertThat(observed.get(1).revenue).isEqualTo(5.0);
            assertThat(observed.get(1).revenueSquaresDelta).isEqualTo(25.0);
            assertThat(audits(harness)).extracting(AuditRecord::getKind).containsExactly(
                    ExperimentCommands.EXPERIMENT_STOPPED, ExperimentCommands.EXPERIMENT_STARTED,
                    ExperimentCommands.VARIANT_STOPPED);

            LiveExperiment stored = harness.getBroadcastState(DecideAndAssign.EXPERIMENTS).get("ranker-v2");
            assertThat(stored.stoppedVariants).containsExactly(false, true, false);
            assertThat(stored.effectiveWeights()).containsExactly(0.5, 0, 0.5);
        }
    }

    @Test
    void theFirstPurchaseCountsOnlyAfterExposureAndLaterOnesAddRevenue() throws Exception {
        String user = user(CONFIGURED, v -> v == 0, 0);
        try (var harness = harness(CONFIGURED, null)) {
            decide(harness, scored(TestEvents.purchase(user, "22423", T0, 3, 1, "o1"), 1, new String[] {"22423"}, ok(0.6f)));
            decide(harness, scored(TestEvents.purchase(user, "22423", T0 + 1, 3, 1, "o2"), 1, new String[] {"22423"}, ok(0.6f)));
            decide(harness, scored(TestEvents.purchase(user, "84879", T0 + 2, 2, 1, "o3"), 1, new String[] {"22423"}, ok(0.6f)));
            List<ExperimentObservation> observed = observations(harness);
            assertThat(observed).hasSize(3);
            assertThat(observed.get(0).exposure).as("the purchase that exposed the user is not an outcome").isTrue();
            assertThat(observed.get(1).firstConversion).isTrue();
            assertThat(observed.get(2).firstConversion).isFalse();
            // the user's revenue goes 3 -> 5: its square grows by 25 - 9
            assertThat(observed.get(2).revenueSquaresDelta).isEqualTo(16.0);
        }
    }

    @Test
    void aHoldoutKeepsItsControlOnTheDefaultAndPassesTheRestOn() throws Exception {
        ExperimentDefinition holdout = ExperimentDefinition.newBuilder().setKey("holdout-2026")
                .setVariations(List.of("holdout", "rest")).setWeights(List.of(0.1, 0.9)).setHoldout(true).build();
        Experiment holdoutAssigner = LiveExperiment.of(holdout, 0).toExperiment();
        Experiment ranker = LiveExperiment.of(RANKER, 0).toExperiment();
        String heldOut = user(holdoutAssigner, v -> v == 0, 0);
        String passedOn = "";
        for (int i = 0; passedOn.isEmpty(); i++) {
            if (holdoutAssigner.assign("user-" + i) == 1 && ranker.assign("user-" + i) == 2) {
                passedOn = "user-" + i;
            }
        }
        try (var harness = harness(CONFIGURED, null)) {
            harness.processBroadcastElement(command(ControlCommand.STOP_EXPERIMENT, null, CONFIGURED.key(), null, List.of()), T0);
            harness.processBroadcastElement(command(ControlCommand.START_EXPERIMENT, holdout, null, null, List.of()), T0);
            harness.processBroadcastElement(command(ControlCommand.START_EXPERIMENT, RANKER, null, null, List.of()), T0);
            decide(harness, scored(TestEvents.of(EventType.VIEW, heldOut, "22423", T0), 1, new String[] {"22423"}, ok(0.6f)));
            decide(harness, scored(TestEvents.of(EventType.VIEW, passedOn, "22423", T0), 1, new String[] {"22423"}, ok(0.6f)));

            List<PersonalizationDecision> decisions = harness.extractOutputValues();
            assertThat(decisions.get(0).getExperimentId()).isEqualTo("holdout-2026");
            assertThat(decisions.get(0).getReasons()).contains("EXPERIMENT_CONTROL_NON_PERSONALIZED");
            assertThat(decisions.get(1).getExperimentId()).isEqualTo("ranker-v2");
            assertThat(decisions.get(1).getVariant()).isEqualTo("ranker-wide");
            assertThat(harness.getSideOutput(DecideAndAssign.ASSIGNMENTS)).extracting(r -> {
                ExperimentAssignment a = (ExperimentAssignment) r.getValue();
                return a.getUserId() + "/" + a.getExperimentId() + "/" + a.getVariant();
            }).containsExactly(heldOut + "/holdout-2026/holdout", passedOn + "/holdout-2026/rest",
                    passedOn + "/ranker-v2/ranker-wide");
        }
    }

    @Test
    void newWeightsApplyToNewUsersOnlyAndBadCommandsAreRefusedAndAudited() throws Exception {
        String treated = user(CONFIGURED, v -> v == 1, 0);
        try (var harness = harness(CONFIGURED, null)) {
            decide(harness, scored(TestEvents.of(EventType.VIEW, treated, "22423", T0), 1, new String[] {"22423"}, ok(0.6f)));
            harness.processBroadcastElement(command(ControlCommand.SET_EXPERIMENT_WEIGHTS, null, CONFIGURED.key(), null,
                    List.of(1.0, 0.0)), T0 + 1);
            String newcomer = user(CONFIGURED, v -> v == 1, Integer.parseInt(treated.substring(5)) + 1);
            decide(harness, scored(TestEvents.of(EventType.VIEW, treated, "22423", T0 + 2), 1, new String[] {"22423"}, ok(0.6f)));
            decide(harness, scored(TestEvents.of(EventType.VIEW, newcomer, "22423", T0 + 2), 1, new String[] {"22423"}, ok(0.6f)));
            assertThat(harness.extractOutputValues()).extracting(PersonalizationDecision::getVariant)
                    .containsExactly("personalized", "personalized", "control");

            harness.processBroadcastElement(command(ControlCommand.STOP_VARIANT, null, CONFIGURED.key(), "control",
                    List.of()), T0 + 3);
            harness.processBroadcastElement(command(ControlCommand.SET_EXPERIMENT_WEIGHTS, null, CONFIGURED.key(), null,
                    List.of(0.7, 0.7)), T0 + 3);
            harness.processBroadcastElement(command(ControlCommand.STOP_EXPERIMENT, null, "no-such", null, List.of()), T0 + 3);
            List<AuditRecord> audits = audits(harness);
            assertThat(audits).extracting(AuditRecord::getKind).containsExactly(ExperimentCommands.WEIGHTS_CHANGED,
                    AuditRecords.CONTROL_REJECTED, AuditRecords.CONTROL_REJECTED, AuditRecords.CONTROL_REJECTED);
            assertThat(audits.get(1).getDetail()).contains("is control");
            assertThat(audits.get(2).getDetail()).contains("weights must sum to 1");
            assertThat(audits.get(3).getDetail()).contains("no experiment 'no-such'");
            assertThat(harness.getBroadcastState(DecideAndAssign.EXPERIMENTS).get(CONFIGURED.key()).weights)
                    .containsExactly(1.0, 0.0);
        }
    }

    @Test
    void stateTypesAreSerializedAsPojos() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(LiveExperiment.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ExperimentMembership.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ExperimentObservation.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(DecisionInput.class);
    }
}
