package io.personalize.udfs.decision;

import static io.personalize.udfs.TestEvents.T0;
import static io.personalize.udfs.decision.DecideAndAssignTest.decide;
import static io.personalize.udfs.decision.DecideAndAssignTest.fallbackCounts;
import static io.personalize.udfs.decision.DecideAndAssignTest.harness;
import static io.personalize.udfs.decision.DecideAndAssignTest.ok;
import static io.personalize.udfs.decision.DecideAndAssignTest.scored;
import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.Action;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.EventType;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TestEvents;
import io.personalize.udfs.bandit.LinearBandit;
import io.personalize.udfs.control.AuditRecords;
import io.personalize.udfs.experiment.Experiment;
import io.personalize.udfs.model.ModelResult;
import io.personalize.udfs.model.ScoredEvent;
import io.personalize.udfs.TrainedModels;
import io.personalize.udfs.catalog.ApprovedCatalog;
import io.personalize.udfs.catalog.SafetyScreen;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each policy rule on the decision operator: consent, frequency cap, cool-down, suppression, confidence. */
class DecisionRulesTest {
    private static final Experiment ALL_TREATED = new Experiment("personalization-v1",
            List.of("control", "personalized"), new double[] {0, 1}, 1, 2, null, null, 0, 1);
    private static final long HOUR = 3_600_000L;

    private static DecisionPolicy policy(int maxMessagesPerDay, double minConfidence, PolicyRules.LowConfidence low) {
        return new DecisionPolicy(0.2, 2, 20, new PolicyRules(java.util.EnumSet.allOf(Action.class), maxMessagesPerDay, Duration.ofDays(3), Duration.ofDays(7),
                Duration.ofDays(14), minConfidence, low, "bandit", new LinearBandit.Settings(1, 0.5, 0.1),
                Duration.ofHours(1)));
    }

    /** A repeat customer (3 orders) browsing with a low purchase propensity: the retention case. */
    private static ScoredEvent browsing(String user, long time) {
        return scored(TestEvents.of(EventType.VIEW, user, "22423", time), 3, new String[] {"22423"}, ok(0.05f));
    }

    private static ScoredEvent negativeReview(String user, long time) {
        ScoredEvent s = scored(TestEvents.of(EventType.REVIEW, user, "22423", time), 3, new String[] {"22423"}, ok(0.5f));
        return new ScoredEvent(s.input, s.models[0], ModelResult.ok(DecisionPolicy.SENTIMENT_MODEL, "v1", 0.1f, 10));
    }

    private static ControlEvent consent(ControlCommand command, String user) {
        return ControlEvent.newBuilder().setRequestId("c-" + command + "-" + user).setCommand(command)
                .setUserId(user).setRequestedAt(T0).build();
    }

    @Test
    void anOptedOutUserGetsOnlyTheDefaultAndNoExperimentUntilOptingIn() throws Exception {
        try (var harness = harness(ALL_TREATED, policy(2, 0, PolicyRules.LowConfidence.DEFAULT), null)) {
            harness.processElement(DecisionInput.of(consent(ControlCommand.OPT_OUT, "ann")), T0);
            decide(harness, browsing("ann", T0));
            harness.processElement(DecisionInput.of(consent(ControlCommand.OPT_IN, "ann")), T0 + 1);
            decide(harness, browsing("ann", T0 + 2));

            List<PersonalizationDecision> decisions = harness.extractOutputValues();
            assertThat(decisions.get(0).getReasons()).containsExactly("CONSENT_OPTED_OUT");
            assertThat(decisions.get(0).getAction()).isEqualTo(Action.SHOW_RECOMMENDATIONS);
            assertThat(decisions.get(0).getPolicy()).isEqualTo("DEFAULT");
            assertThat(decisions.get(0).getExperimentId()).isNull();
            assertThat(decisions.get(0).getItems()).allMatch(i -> i.getSource().equals(DecisionPolicy.SOURCE_POPULAR));
            assertThat(decisions.get(1).getAction()).isEqualTo(Action.SEND_RETENTION_OFFER);
            assertThat(harness.getSideOutput(DecideAndAssign.ASSIGNMENTS)).as("exposed only once opted in").hasSize(1);
            assertThat(harness.getSideOutput(AuditRecords.AUDIT)).extracting(r -> r.getValue().getKind())
                    .containsExactly(DecideAndAssign.CONSENT_CHANGED, DecideAndAssign.CONSENT_CHANGED);
        }
    }

    @Test
    void theSameMessageWaitsForItsCooldownAndTheDailyCapHoldsBackOthers() throws Exception {
        try (var harness = harness(ALL_TREATED, policy(1, 0, PolicyRules.LowConfidence.DEFAULT), null)) {
            decide(harness, browsing("bob", T0));
            decide(harness, browsing("bob", T0 + HOUR));
            decide(harness, negativeReview("bob", T0 + 2 * HOUR));
            decide(harness, browsing("bob", T0 + 15 * 24 * HOUR));

            List<PersonalizationDecision> decisions = harness.extractOutputValues();
            assertThat(decisions).extracting(PersonalizationDecision::getAction).containsExactly(
                    Action.SEND_RETENTION_OFFER, Action.SHOW_RECOMMENDATIONS, Action.SHOW_RECOMMENDATIONS,
                    Action.SEND_RETENTION_OFFER);
            assertThat(decisions.get(1).getReasons()).anyMatch(r -> r.startsWith("FREQUENCY_CAPPED(SEND_RETENTION_OFFER"));
            assertThat(decisions.get(2).getReasons()).contains("NEGATIVE_REVIEW(p_positive=0.100)")
                    .anyMatch(r -> r.startsWith("FREQUENCY_CAPPED(SEND_REVIEW_FOLLOW_UP"));
            assertThat(decisions.get(3).getReasons()).as("15 days on: past the cap, the cool-down and the suppression after the negative review")
                    .noneMatch(r -> r.startsWith("FREQUENCY_CAPPED") || r.startsWith("COOLDOWN")
                            || r.startsWith("SUPPRESSED"));
        }
        try (var harness = harness(ALL_TREATED, policy(5, 0, PolicyRules.LowConfidence.DEFAULT), null)) {
            decide(harness, browsing("cid", T0));
            decide(harness, browsing("cid", T0 + HOUR));
            assertThat(harness.extractOutputValues().get(1).getReasons())
                    .anyMatch(r -> r.startsWith("COOLDOWN(SEND_RETENTION_OFFER: last 60 min ago, cool-down 72 h)"));
        }
    }

    @Test
    void noRetentionOfferRightAfterAPurchaseOrANegativeReview() throws Exception {
        try (var harness = harness(ALL_TREATED, policy(5, 0, PolicyRules.LowConfidence.DEFAULT), null)) {
            UserEvent purchase = TestEvents.purchase("dan", "22423", T0, 2, 1, "o9");
            decide(harness, scored(purchase, 3, new String[] {"22423"}, ok(0.05f)));
            decide(harness, negativeReview("eve", T0));
            decide(harness, browsing("eve", T0 + HOUR));

            List<PersonalizationDecision> decisions = harness.extractOutputValues();
            assertThat(decisions.get(0).getAction()).isEqualTo(Action.SHOW_RECOMMENDATIONS);
            assertThat(decisions.get(0).getReasons()).contains("SUPPRESSED_AFTER_PURCHASE(SEND_RETENTION_OFFER)");
            assertThat(decisions.get(1).getAction()).isEqualTo(Action.SEND_REVIEW_FOLLOW_UP);
            assertThat(decisions.get(2).getAction()).isEqualTo(Action.SHOW_RECOMMENDATIONS);
            assertThat(decisions.get(2).getReasons()).contains("SUPPRESSED_AFTER_NEGATIVE_REVIEW(SEND_RETENTION_OFFER)");
        }
    }

    @Test
    void anUnsureDecisionFallsBackToTheDefaultAndGoesToReview() throws Exception {
        try (var harness = harness(ALL_TREATED, policy(2, 0.8, PolicyRules.LowConfidence.REVIEW), null)) {
            decide(harness, scored(TestEvents.of(EventType.VIEW, "fay", "22423", T0), 1, new String[] {"22423"}, ok(0.6f)));
            decide(harness, scored(TestEvents.of(EventType.VIEW, "gus", "22423", T0), 1, new String[] {"22423"}, ok(0.9f)));

            List<PersonalizationDecision> decisions = harness.extractOutputValues();
            PersonalizationDecision unsure = decisions.get(0);
            assertThat(unsure.getFallback()).isTrue();
            assertThat(unsure.getReasons()).containsExactly(
                    "LOW_CONFIDENCE(SHOW_RECOMMENDATIONS propensity=0.600<0.800)", "SENT_FOR_REVIEW");
            assertThat(unsure.getItems()).allMatch(i -> i.getSource().equals(DecisionPolicy.SOURCE_POPULAR));
            assertThat(decisions.get(1).getFallback()).isFalse();
            assertThat(decisions.get(1).getConfidence()).isCloseTo(0.9, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(harness.getSideOutput(DecideAndAssign.FOR_REVIEW)).singleElement().satisfies(r -> {
                assertThat(r.getValue().getUserId()).isEqualTo("fay");
                assertThat(r.getValue().getPolicy()).isEqualTo("RULES");
                assertThat(r.getValue().getConfidence()).isCloseTo(0.6, org.assertj.core.data.Offset.offset(1e-6));
                assertThat(r.getValue().getItems().get(0).getItemId()).isEqualTo("22423");
            });
            assertThat(fallbackCounts(harness)).containsExactly(Map.entry(DecisionPolicy.Fallback.LOW_CONFIDENCE, 1L));
        }
    }

    @Test
    void withoutTheApprovedCatalogOrTheSafetyScreenNothingIsShown(@TempDir Path temp) throws Exception {
        Path registry = TrainedModels.registry();
        for (String missing : List.of(ApprovedCatalog.MODEL_NAME, SafetyScreen.MODEL_NAME)) {
            Path models = Files.createDirectories(temp.resolve("without-" + missing));
            for (String kept : List.of(PopularItems.MODEL_NAME, ApprovedCatalog.MODEL_NAME, SafetyScreen.MODEL_NAME)) {
                if (!kept.equals(missing)) {
                    copyFolder(registry.resolve(kept), models.resolve(kept));
                }
            }
            try (var harness = harness(ALL_TREATED, policy(2, 0, PolicyRules.LowConfidence.DEFAULT), models, null)) {
                decide(harness, browsing("hal", T0));
                PersonalizationDecision decision = harness.extractOutputValues().get(0);
                assertThat(decision.getAction()).isEqualTo(Action.NO_ACTION);
                assertThat(decision.getItems()).isEmpty();
                assertThat(decision.getFallback()).isTrue();
                assertThat(decision.getReasons()).containsExactly("FAIL_CLOSED_NOTHING_SHOWN");
                assertThat(decision.getFallbackReason()).as(missing).contains(missing);
                assertThat(fallbackCounts(harness)).containsExactly(Map.entry(DecisionPolicy.Fallback.FAIL_CLOSED, 1L));
            }
            ItemGate gate = ItemGate.load(models);
            assertThat(gate.unavailable()).contains(missing);
            assertThat(gate.shows("22423")).as("an approved, safe item when the gate works").isFalse();
        }
    }

    @Test
    void itemsOutsideTheCatalogOrFailingTheScreenAreNeverShown() throws Exception {
        ApprovedCatalog catalog = ApprovedCatalog.load(TrainedModels.registry());
        SafetyScreen screen = SafetyScreen.load(TrainedModels.registry());
        String unsafe = java.util.stream.IntStream.range(20_000, 100_000)
                .mapToObj(i -> Integer.toString(i))
                .filter(id -> catalog.approved(id) && !screen.screen(catalog.description(id)).safe())
                .findFirst().orElseThrow();
        try (var harness = harness(ALL_TREATED, policy(2, 0, PolicyRules.LowConfidence.DEFAULT), null)) {
            decide(harness, scored(TestEvents.of(EventType.VIEW, "ivy", "22423", T0), 1,
                    new String[] {"POST", unsafe, "22423"}, ok(0.9f)));
            PersonalizationDecision decision = harness.extractOutputValues().get(0);
            assertThat(decision.getItems()).extracting(i -> i.getItemId()).doesNotContain("POST", unsafe)
                    .startsWith("22423").allMatch(catalog::approved);
            assertThat(decision.getCatalogVersion()).isEqualTo(catalog.version());
            assertThat(decision.getReasons()).contains("NOT_IN_APPROVED_CATALOG(1 items left out)")
                    .anyMatch(r -> r.startsWith("SAFETY_SCREEN(" + unsafe + ":"));
            ItemGate gate = ItemGate.load(TrainedModels.registry());
            assertThat(gate.shows("22423")).isTrue();
            assertThat(gate.shows("POST")).isFalse();
            assertThat(gate.shows(unsafe)).isFalse();
        }
    }

    private static void copyFolder(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(from.relativize(f).toString()));
            }
        }
    }

    @Test
    void actionsTheOperatorTurnedOffAreNeverTaken() throws Exception {
        PolicyRules noMessages = new PolicyRules(java.util.EnumSet.of(Action.SHOW_RECOMMENDATIONS), 2,
                Duration.ofDays(3), Duration.ofDays(7), Duration.ofDays(14), 0, PolicyRules.LowConfidence.DEFAULT,
                "bandit", new LinearBandit.Settings(1, 0.5, 0.1), Duration.ofHours(1));
        try (var harness = harness(ALL_TREATED, new DecisionPolicy(0.2, 2, 20, noMessages), null)) {
            decide(harness, browsing("joe", T0));
            decide(harness, negativeReview("joe", T0 + 1));
            assertThat(harness.extractOutputValues()).extracting(PersonalizationDecision::getAction)
                    .containsOnly(Action.SHOW_RECOMMENDATIONS);
            assertThat(harness.getSideOutput(DecideAndAssign.DECISION_AUDIT)).extracting(r -> r.getValue().getEligibleActions())
                    .allSatisfy(eligible -> assertThat(eligible).containsExactly("SHOW_RECOMMENDATIONS", "NO_ACTION"));
        }
    }

    @Test
    void theHistoryIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(DecisionHistory.class);
    }
}
