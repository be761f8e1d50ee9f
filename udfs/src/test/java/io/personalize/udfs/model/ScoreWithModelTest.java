package io.personalize.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.ModelStatus;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TrainedModels;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreWithModelTest {
    private static List<FeaturizedEvent> realFeaturizedEvents(int n) throws Exception {
        Map<String, UserFeatures> users = new HashMap<>();
        List<FeaturizedEvent> out = new ArrayList<>();
        for (UserEvent e : TrainedModels.onlineRetail().subList(0, n)) {
            UserFeatures f = users.computeIfAbsent(e.getUserId(), u -> new UserFeatures());
            FeatureUpdater.apply(f, e);
            out.add(FeaturizedEvent.of(e, f));
        }
        return out;
    }

    private static OneInputStreamOperatorTestHarness<FeaturizedEvent, ModelOutput> harness(Path models)
            throws Exception {
        ScoreWithModel<FeaturizedEvent> function = new ScoreWithModel<>(models.toString(), DecisionPolicy.PROPENSITY_MODEL,
                new FeatureVectorInput(), 64, 500);
        OneInputStreamOperatorTestHarness<FeaturizedEvent, ModelOutput> harness = new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(function, 10_000, 500, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(FeaturizedEvent.class).createSerializer(new SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    private static List<ModelOutput> scoreAll(Path models, List<FeaturizedEvent> inputs) throws Exception {
        try (var harness = harness(models)) {
            for (FeaturizedEvent input : inputs) {
                harness.processElement(input, input.event.getEventTime());
            }
            harness.endInput();
            return harness.extractOutputValues();
        }
    }

    @Test
    void scoresEveryEventInOrderWithTheTrainedModel() throws Exception {
        Path models = TrainedModels.registry();
        List<FeaturizedEvent> inputs = realFeaturizedEvents(2_000);
        List<ModelOutput> out = scoreAll(models, inputs);
        assertThat(out).hasSize(inputs.size());
        float[][] rows = inputs.stream().map(i -> i.features).toArray(float[][]::new);
        float[] expected;
        try (BatchingScorer direct = BatchingScorer.open(
                new ModelRegistry(models).current(DecisionPolicy.PROPENSITY_MODEL, FeatureVector.NAMES), 64, 10,
                n -> { }, "direct")) {
            expected = direct.scoreNow(rows);
        }
        for (int i = 0; i < out.size(); i++) {
            ModelOutput scored = out.get(i);
            assertThat(scored.eventId).isEqualTo(inputs.get(i).event.getEventId());
            assertThat(scored.input).isNull();
            ModelResult result = scored.result;
            assertThat(result.model).isEqualTo(DecisionPolicy.PROPENSITY_MODEL);
            assertThat(result.status).isEqualTo(ModelStatus.OK);
            assertThat(result.version).isEqualTo(TrainedModels.VERSION);
            assertThat(result.score).isEqualTo(expected[i]).isBetween(0f, 1f);
        }
        // a real model separates users: scores are not all the same
        assertThat(out.stream().map(s -> s.result.score).distinct().count()).isGreaterThan(20);
    }

    @Test
    void aRowTheModelRejectsFailsAloneNotItsBatch() throws Exception {
        List<FeaturizedEvent> inputs = realFeaturizedEvents(300);
        float[] poisoned = inputs.get(150).features.clone();
        poisoned[0] = Float.POSITIVE_INFINITY;
        inputs.get(150).features = poisoned;
        List<ModelOutput> out = scoreAll(TrainedModels.registry(), inputs);
        assertThat(out).hasSize(300);
        assertThat(out.get(150).result.status).isEqualTo(ModelStatus.ERROR);
        assertThat(out.stream().filter(s -> s.result.status == ModelStatus.OK).count()).isEqualTo(299);
    }

    @Test
    void missingModelFallsBackInsteadOfFailing(@TempDir Path empty) throws Exception {
        ModelResult result = scoreAll(empty, realFeaturizedEvents(1)).get(0).result;
        assertThat(result.status).isEqualTo(ModelStatus.UNAVAILABLE);
        assertThat(result.error).contains("no model 'propensity'");
    }

    @Test
    void corruptModelFileIsRejected(@TempDir Path copy) throws Exception {
        Path source = TrainedModels.registry().resolve(DecisionPolicy.PROPENSITY_MODEL);
        Path target = copy.resolve(DecisionPolicy.PROPENSITY_MODEL);
        Files.createDirectories(target.resolve(TrainedModels.VERSION));
        Files.copy(source.resolve(ModelRegistry.CURRENT_FILE), target.resolve(ModelRegistry.CURRENT_FILE));
        for (Path file : Files.list(source.resolve(TrainedModels.VERSION)).toList()) {
            Files.copy(file, target.resolve(TrainedModels.VERSION).resolve(file.getFileName()));
        }
        Path modelFile = target.resolve(TrainedModels.VERSION).resolve("propensity.json");
        Files.writeString(modelFile, Files.readString(modelFile).replaceFirst("\\d", "7"));

        ModelResult result = scoreAll(copy, realFeaturizedEvents(1)).get(0).result;
        assertThat(result.status).isEqualTo(ModelStatus.UNAVAILABLE);
        assertThat(result.error).contains("checksum");
    }

    @Test
    void heldOutQualityBeatsTheBaseline() throws Exception {
        var report = TrainedModels.report();
        assertThat(report.testExamples()).isGreaterThan(1_000);
        assertThat(report.auc()).isGreaterThan(0.7).isGreaterThan(report.baselineAuc());
        assertThat(report.maxServingDifference()).isLessThan(1e-5f);
    }

    @Test
    void messageTypesArePojos() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ModelResult.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ScoredEvent.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ModelOutput.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(JoinModelResults.PendingScores.class);
    }
}
