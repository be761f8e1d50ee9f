package io.personalize.udfs.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.ExperimentResult;
import io.personalize.schema.VariantResult;
import io.personalize.udfs.control.AuditRecords;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

class AnalyzeExperimentsTest {
    private static final AnalysisSettings SETTINGS = AnalysisSettings.defaults();
    private static final long REPORT = SETTINGS.reportInterval().toMillis();

    private static KeyedOneInputStreamOperatorTestHarness<String, ExperimentObservation, ExperimentResult> harness()
            throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AnalyzeExperiments(SETTINGS)), (ExperimentObservation o) -> o.experimentKey,
                Types.STRING);
        harness.open();
        return harness;
    }

    private static final LiveExperiment EXPERIMENT =
            LiveExperiment.of(Experiment.twoWay("checkout-v3", "control", "treatment"), 0);

    /** {@code users} exposures of the variation, then purchases of 10.0 by the first {@code converters}. */
    private static void feed(KeyedOneInputStreamOperatorTestHarness<String, ExperimentObservation, ExperimentResult> harness,
            int variation, int users, int converters) throws Exception {
        for (int i = 0; i < users; i++) {
            harness.processElement(ExperimentObservation.exposure(EXPERIMENT, variation), 0);
        }
        for (int i = 0; i < converters; i++) {
            harness.processElement(ExperimentObservation.purchase(EXPERIMENT, variation, true, 0, 10), 0);
        }
    }

    @Test
    void aVariantThatCutsConversionIsStoppedByItselfSaysWhyAndTheTimerIsGone() throws Exception {
        try (var harness = harness()) {
            feed(harness, 0, 2_000, 200);
            feed(harness, 1, 2_000, 120);
            assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
            harness.setProcessingTime(REPORT);

            ExperimentResult result = harness.extractOutputValues().get(0);
            assertThat(result.getExposures()).isEqualTo(4_000);
            VariantResult treatment = result.getVariants().get(1);
            assertThat(treatment.getConversionRate()).isEqualTo(0.06);
            assertThat(treatment.getLift()).isCloseTo(-0.4, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(treatment.getLiftCiLow()).isLessThan(-0.4);
            assertThat(treatment.getLiftCiHigh()).isBetween(-0.4, 0.0);
            assertThat(treatment.getPValue()).isLessThan(1e-4);
            assertThat(treatment.getSequentialPValue()).isLessThan(SETTINGS.guardrailAlpha())
                    .isGreaterThan(treatment.getPValue());
            assertThat(treatment.getRevenueLift()).isCloseTo(-0.4, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(treatment.getStopped()).isTrue();
            assertThat(treatment.getStopReason()).startsWith("conversion -40.0% vs control");
            assertThat(result.getGuardrailActions()).singleElement().asString().startsWith("STOPPED treatment: ");
            assertThat(result.getSrmPValue()).isEqualTo(1.0);

            ControlEvent stop = harness.getSideOutput(AnalyzeExperiments.GUARDRAIL_COMMANDS).poll().getValue();
            assertThat(stop.getCommand()).isEqualTo(ControlCommand.STOP_VARIANT);
            assertThat(stop.getExperimentKey()).isEqualTo("checkout-v3");
            assertThat(stop.getVariant()).isEqualTo("treatment");
            assertThat(harness.getSideOutput(AuditRecords.AUDIT)).singleElement()
                    .extracting(r -> r.getValue().getKind()).isEqualTo(AnalyzeExperiments.GUARDRAIL_STOP);
            assertThat(harness.numProcessingTimeTimers()).isZero();

            // the next report does not stop it again
            feed(harness, 1, 10, 0);
            harness.setProcessingTime(2 * REPORT + 1);
            assertThat(harness.getSideOutput(AnalyzeExperiments.GUARDRAIL_COMMANDS)).isEmpty();
        }
    }

    @Test
    void aHealthyVariantRunsOn() throws Exception {
        try (var harness = harness()) {
            feed(harness, 0, 2_000, 200);
            feed(harness, 1, 2_000, 230);
            harness.setProcessingTime(REPORT);
            VariantResult treatment = harness.extractOutputValues().get(0).getVariants().get(1);
            assertThat(treatment.getLift()).isCloseTo(0.15, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(treatment.getStopped()).isFalse();
            assertThat(harness.getSideOutput(AnalyzeExperiments.GUARDRAIL_COMMANDS)).isNullOrEmpty();
        }
    }

    @Test
    void aSampleRatioMismatchStopsEveryVariant() throws Exception {
        try (var harness = harness()) {
            feed(harness, 0, 2_000, 200);
            feed(harness, 1, 1_700, 170);
            harness.setProcessingTime(REPORT);
            ExperimentResult result = harness.extractOutputValues().get(0);
            assertThat(result.getSrmPValue()).isLessThan(SETTINGS.srmPValue());
            assertThat(result.getVariants().get(1).getStopReason()).startsWith("sample-ratio mismatch");
            assertThat(harness.getSideOutput(AnalyzeExperiments.GUARDRAIL_COMMANDS)).hasSize(1);
        }
    }

    @Test
    void guardrailsWaitForEnoughUsers() throws Exception {
        try (var harness = harness()) {
            feed(harness, 0, 60, 30);
            feed(harness, 1, 60, 5);
            harness.setProcessingTime(REPORT);
            VariantResult treatment = harness.extractOutputValues().get(0).getVariants().get(1);
            assertThat(treatment.getPValue()).isLessThan(0.001);
            assertThat(treatment.getStopped()).isFalse();
            assertThat(harness.getSideOutput(AnalyzeExperiments.GUARDRAIL_COMMANDS)).isNullOrEmpty();
        }
    }

    @Test
    void theSampleRatioCheckRestartsWhenWeightsChangeAndIgnoresStoppedVariants() {
        ExperimentTally tally = new ExperimentTally();
        for (int i = 0; i < 1_000; i++) {
            tally.observe(ExperimentObservation.exposure(EXPERIMENT, 0));
        }
        LiveExperiment stopped = EXPERIMENT.copy();
        stopped.stoppedVariants[1] = true;
        stopped.weightsVersion = 1;
        for (int i = 0; i < 300; i++) {
            tally.observe(ExperimentObservation.exposure(stopped, 0));
        }
        assertThat(tally.users).containsExactly(1_300, 0);
        assertThat(tally.usersAtWeights).containsExactly(300, 0);
        assertThat(tally.stopped).containsExactly(false, true);
        assertThat(AnalyzeExperiments.srmPValue(tally)).as("one variation left: nothing to compare").isNull();
    }

    @Test
    void theTallyIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ExperimentTally.class);
        assertThat(Duration.ofMillis(REPORT)).isEqualTo(SETTINGS.reportInterval());
    }
}
