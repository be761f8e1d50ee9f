package io.personalize.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.EventType;
import io.personalize.schema.ModelStatus;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import java.util.List;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class JoinModelResultsTest {
    private static final List<String> MODELS = List.of("a", "b");

    private static FeaturizedEvent event(String id) {
        UserEvent e = UserEvent.newBuilder().setEventId(id).setUserId("u").setEventType(EventType.VIEW)
                .setEventTime(1_000).setItemId("i").build();
        UserFeatures f = new UserFeatures();
        FeatureUpdater.apply(f, e);
        return FeaturizedEvent.of(e, f);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, ModelOutput, ScoredEvent> harness() throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new JoinModelResults(MODELS, 5_000)), (ModelOutput p) -> p.userId, Types.STRING);
        harness.open();
        return harness;
    }

    @Test
    void emitsEachEventOnceEveryModelAnsweredInModelOrderAndForgetsIt() throws Exception {
        FeaturizedEvent e1 = event("e1");
        FeaturizedEvent e2 = event("e2");
        try (var harness = harness()) {
            harness.processElement(ModelOutput.result(e1, ModelResult.ok("b", "v1", 0.2f, 1)), 0);
            harness.processElement(ModelOutput.result(e2, ModelResult.ok("a", "v1", 0.7f, 1)), 0);
            harness.processElement(ModelOutput.input(e1), 0);
            assertThat(harness.extractOutputValues()).isEmpty();
            harness.processElement(ModelOutput.result(e1, ModelResult.ok("a", "v1", 0.9f, 1)), 0);
            assertThat(harness.extractOutputValues()).hasSize(1);
            assertThat(harness.numEventTimeTimers()).as("e2 still holds the end-of-input timer").isEqualTo(1);
            harness.processElement(ModelOutput.input(e2), 0);
            harness.processElement(ModelOutput.result(e2, ModelResult.failed("b", "v1", ModelStatus.ERROR, "x", 1)), 0);

            List<ScoredEvent> out = harness.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(0).input.event.getEventId()).isEqualTo("e1");
            assertThat(out.get(0).models).extracting(r -> r.model).containsExactly("a", "b");
            assertThat(out.get(0).model("a").score).isEqualTo(0.9f);
            assertThat(out.get(1).model("b").status).isEqualTo(ModelStatus.ERROR);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
            assertThat(harness.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void aMissingResultTimesOutAndTheEventGoesOnWithoutIt() throws Exception {
        FeaturizedEvent e1 = event("e1");
        try (var harness = harness()) {
            harness.setProcessingTime(0);
            harness.processElement(ModelOutput.input(e1), 0);
            harness.processElement(ModelOutput.result(e1, ModelResult.ok("a", "v1", 0.4f, 1)), 0);
            assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
            harness.setProcessingTime(5_000);

            List<ScoredEvent> out = harness.extractOutputValues();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).model("a").isOk()).isTrue();
            assertThat(out.get(0).model("b").status).isEqualTo(ModelStatus.TIMEOUT);
            assertThat(out.get(0).model("b").error).contains("no result reached the join");
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void anEventSharingItsDeadlineWithACompletedOneStillTimesOut() throws Exception {
        FeaturizedEvent e1 = event("e1");
        FeaturizedEvent e2 = event("e2");
        try (var harness = harness()) {
            harness.setProcessingTime(0); // both first parts in the same millisecond: one deadline timer for both
            harness.processElement(ModelOutput.input(e1), 0);
            harness.processElement(ModelOutput.input(e2), 0);
            harness.processElement(ModelOutput.result(e2, ModelResult.ok("a", "v1", 0.3f, 1)), 0);
            harness.processElement(ModelOutput.result(e1, ModelResult.ok("a", "v1", 0.4f, 1)), 0);
            harness.processElement(ModelOutput.result(e1, ModelResult.ok("b", "v1", 0.5f, 1)), 0);
            assertThat(harness.extractOutputValues()).extracting(s -> s.input.event.getEventId()).containsExactly("e1");
            assertThat(harness.numProcessingTimeTimers()).as("e2's deadline survives e1's completion").isEqualTo(1);

            harness.setProcessingTime(5_000);
            List<ScoredEvent> out = harness.extractOutputValues();
            assertThat(out).extracting(s -> s.input.event.getEventId()).containsExactly("e1", "e2");
            assertThat(out.get(1).model("a").score).isEqualTo(0.3f);
            assertThat(out.get(1).model("b").status).isEqualTo(ModelStatus.TIMEOUT);
            assertThat(harness.numKeyedStateEntries()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
            assertThat(harness.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void anEventWhoseInputIsLateIsStillDecidedAndTheEndOfInputFlushesEverything() throws Exception {
        FeaturizedEvent e1 = event("e1");
        FeaturizedEvent e2 = event("e2");
        try (var harness = harness()) {
            harness.setProcessingTime(0);
            harness.processElement(ModelOutput.result(e1, ModelResult.ok("a", "v1", 0.4f, 1)), 0);
            harness.setProcessingTime(5_000); // e1's input is held back (e.g. checkpoint alignment): keep waiting
            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(harness.numKeyedStateEntries()).isPositive();
            harness.processElement(ModelOutput.input(e1), 0);
            harness.processElement(ModelOutput.input(e2), 0);
            harness.processElement(ModelOutput.result(e2, ModelResult.ok("b", "v1", 0.1f, 1)), 0);

            harness.processWatermark(Long.MAX_VALUE); // a bounded input ends: nothing stays behind
            List<ScoredEvent> out = harness.extractOutputValues();
            assertThat(out).extracting(s -> s.input.event.getEventId()).containsExactlyInAnyOrder("e1", "e2");
            assertThat(out.stream().filter(s -> s.input.event.getEventId().equals("e1")).findFirst().orElseThrow()
                    .model("b").status).isEqualTo(ModelStatus.TIMEOUT);
            assertThat(harness.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void anEventThatFollowsTheFinalWatermarkStillGoesOutWithItsResults() throws Exception {
        // Seen end to end (BadInputAtScaleTest): one source subtask finished and sent the final
        // watermark while the other, idle for a moment, still had events; they reached the join after
        // it. Their results, already there, were dropped at the final watermark and the events never left.
        FeaturizedEvent e1 = event("e1");
        try (var harness = harness()) {
            harness.processElement(ModelOutput.result(e1, ModelResult.ok("a", "v1", 0.4f, 1)), 0);
            harness.processElement(ModelOutput.result(e1, ModelResult.ok("b", "v1", 0.6f, 1)), 0);
            harness.processWatermark(Long.MAX_VALUE);
            assertThat(harness.extractOutputValues()).isEmpty();

            harness.processElement(ModelOutput.input(e1), 0);
            List<ScoredEvent> out = harness.extractOutputValues();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).models).allSatisfy(r -> assertThat(r.isOk()).isTrue());
            assertThat(out.get(0).model("b").score).isEqualTo(0.6f);
            assertThat(harness.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void anEventKeptInsideItsPendingScoresByAnOlderBuildStillGoesOutWithItsResults() throws Exception {
        // a savepoint taken before the events moved to their own map state holds them in PendingScores.input
        FeaturizedEvent e1 = event("e1");
        try (var harness = harness()) {
            var operator = harness.getOperator();
            operator.setCurrentKey("u");
            MapState<String, JoinModelResults.PendingScores> pending = operator.getKeyedStateBackend()
                    .getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                            new MapStateDescriptor<>(JoinModelResults.PENDING_STATE, Types.STRING,
                                    TypeInformation.of(JoinModelResults.PendingScores.class)));
            var restored = new JoinModelResults.PendingScores();
            restored.input = e1;
            restored.results = new ModelResult[] {ModelResult.ok("a", "v1", 0.4f, 1)};
            restored.deadline = 5_000;
            pending.put("e1", restored);

            harness.processElement(ModelOutput.result(e1, ModelResult.ok("b", "v1", 0.6f, 1)), 0);

            List<ScoredEvent> out = harness.extractOutputValues();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).input.event.getEventId()).isEqualTo("e1");
            assertThat(out.get(0).model("a").score).isEqualTo(0.4f);
            assertThat(out.get(0).model("b").score).isEqualTo(0.6f);
            assertThat(harness.numKeyedStateEntries()).isZero();
        }
    }
}
