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
import java.util.stream.IntStream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreWithModelTest {
    private static List<ScoringRequest> realFeaturizedEvents(int n) throws Exception {
        Map<String, UserFeatures> users = new HashMap<>();
        List<ScoringRequest> out = new ArrayList<>();
        for (UserEvent e : TrainedModels.onlineRetail().subList(0, n)) {
            UserFeatures f = users.computeIfAbsent(e.getUserId(), u -> new UserFeatures());
            FeatureUpdater.apply(f, e);
            out.add(ScoringRequest.of(FeaturizedEvent.of(e, f)));
        }
        return out;
    }

    private static OneInputStreamOperatorTestHarness<ScoringRequest[], ModelOutput> harness(Path models)
            throws Exception {
        return harness(models, 60_000);
    }

    private static OneInputStreamOperatorTestHarness<ScoringRequest[], ModelOutput> harness(Path models,
            long reportIntervalMs) throws Exception {
        ScoreWithModel<ScoringRequest> function = new ScoreWithModel<>(models.toString(), DecisionPolicy.PROPENSITY_MODEL,
                new FeatureVectorInput(), 64, 500, reportIntervalMs);
        OneInputStreamOperatorTestHarness<ScoringRequest[], ModelOutput> harness = new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(function, 10_000, 500, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(ScoringRequest[].class).createSerializer(new SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    private static List<ModelOutput> scoreAll(Path models, List<ScoringRequest> inputs) throws Exception {
        return scoreAll(models, inputs, 60_000);
    }

    private static List<ModelOutput> scoreAll(Path models, List<ScoringRequest> inputs, long reportIntervalMs)
            throws Exception {
        return scoreAll(models, inputs, reportIntervalMs, 1);
    }

    /** Scores the inputs in requests of {@code perRequest} events, as {@link MicroBatch} makes them. */
    private static List<ModelOutput> scoreAll(Path models, List<ScoringRequest> inputs, long reportIntervalMs,
            int perRequest) throws Exception {
        try (var harness = harness(models, reportIntervalMs)) {
            for (int i = 0; i < inputs.size(); i += perRequest) {
                harness.processElement(inputs.subList(i, Math.min(inputs.size(), i + perRequest))
                        .toArray(ScoringRequest[]::new), 0);
            }
            harness.endInput();
            return harness.extractOutputValues();
        }
    }

    @Test
    void scoresEveryEventInOrderWithTheTrainedModel() throws Exception {
        Path models = TrainedModels.registry();
        List<ScoringRequest> inputs = realFeaturizedEvents(2_000);
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
            assertThat(scored.eventId).isEqualTo(inputs.get(i).eventId);
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

    /** Scores the rows with the version through the given translator, in one batch. */
    private static float[] scoreWith(ModelRegistry.ModelVersion version, XgbBatchTranslator translator, float[][] rows)
            throws Exception {
        try (var model = BatchingScorer.criteria(version, translator).loadModel(); var predictor = model.newPredictor()) {
            return predictor.predict(rows);
        }
    }

    @Test
    void mostlyMissingRowsScoreTheSameSentAsCsrAsSentDense() throws Exception {
        ModelRegistry.ModelVersion version =
                new ModelRegistry(TrainedModels.registry()).current(DecisionPolicy.PROPENSITY_MODEL, FeatureVector.NAMES);
        List<ScoringRequest> inputs = realFeaturizedEvents(1_000);
        // a real row keeps one feature in eight; the others are missing, as absent n-grams are
        float[][] rows = new float[inputs.size()][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = inputs.get(r).features.clone();
            for (int c = 0; c < rows[r].length; c++) {
                if ((c + r) % 8 != 0) {
                    rows[r][c] = Float.NaN;
                }
            }
        }
        float[] dense = scoreWith(version, new XgbBatchTranslator(0), rows);
        float[] csr = scoreWith(version, new XgbBatchTranslator(1), rows);
        float[] chosen = scoreWith(version, new XgbBatchTranslator(), rows);
        assertThat(csr).containsExactly(dense);
        assertThat(chosen).containsExactly(dense);
        assertThat(dense).hasSize(rows.length);
        for (float score : dense) {
            assertThat(score).isBetween(0f, 1f);
        }
        assertThat(IntStream.range(0, dense.length).mapToObj(i -> dense[i]).distinct().count()).isGreaterThan(20);
        // the all-missing row is the sparsest batch there is
        float[] empty = new float[FeatureVector.SIZE];
        java.util.Arrays.fill(empty, Float.NaN);
        assertThat(scoreWith(version, new XgbBatchTranslator(), new float[][] {empty}))
                .containsExactly(scoreWith(version, new XgbBatchTranslator(0), new float[][] {empty}));
    }

    @Test
    void aRowTheModelRejectsFailsAloneNotItsBatch() throws Exception {
        List<ScoringRequest> inputs = realFeaturizedEvents(300);
        float[] poisoned = inputs.get(150).features.clone();
        poisoned[0] = Float.POSITIVE_INFINITY;
        inputs.get(150).features = poisoned;
        List<ModelOutput> out = scoreAll(TrainedModels.registry(), inputs, 60_000, 50); // requests of 50 events
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

    private static String deployment(Path live, String liveSha, Path shadow, String shadowSha) {
        ModelDeployment d = new ModelDeployment();
        d.model = DecisionPolicy.PROPENSITY_MODEL;
        d.live = live == null ? null : ModelDeployment.Version.of(live.getFileName().toString(), live.toString(), liveSha, "r1");
        d.shadow = shadow == null ? null
                : ModelDeployment.Version.of(shadow.getFileName().toString(), shadow.toString(), shadowSha, "r2");
        return ModelDeployment.stamp(Map.of(d.model, d));
    }

    private static List<ModelResult> results(List<ModelOutput> out) {
        return out.stream().filter(o -> o.result != null).map(o -> o.result).toList();
    }

    @Test
    void switchesToTheStampedVersionBetweenTwoEventsWithoutARestart() throws Exception {
        Path v2 = TrainedModels.secondPropensityVersion();
        List<ScoringRequest> inputs = realFeaturizedEvents(600);
        String stamp = deployment(v2, DeployModelsTest.sha256(v2), null, null);
        for (int i = 300; i < inputs.size(); i++) {
            inputs.get(i).modelDeployments = stamp;
        }
        // requests of 64 events: the switch falls inside one, between events 299 and 300
        List<ModelResult> out = results(scoreAll(TrainedModels.registry(), inputs, 60_000, 64));
        assertThat(out).hasSize(600).allSatisfy(r -> assertThat(r.status).isEqualTo(ModelStatus.OK));
        assertThat(out.subList(0, 300)).allSatisfy(r -> assertThat(r.version).isEqualTo(TrainedModels.VERSION));
        assertThat(out.subList(300, 600)).allSatisfy(r -> assertThat(r.version).isEqualTo(TrainedModels.VERSION_2));
        float[] expected;
        try (BatchingScorer direct = BatchingScorer.open(ModelRegistry.loadAt(v2, DecisionPolicy.PROPENSITY_MODEL,
                TrainedModels.VERSION_2, null, FeatureVector.NAMES), 64, 10, n -> { }, "direct-v2")) {
            expected = direct.scoreNow(inputs.subList(300, 600).stream().map(i -> i.features).toArray(float[][]::new));
        }
        for (int i = 300; i < 600; i++) {
            assertThat(out.get(i).score).isEqualTo(expected[i - 300]);
        }
    }

    @Test
    void aStampedVersionThatCannotBeServedLeavesTheOldOneServing(@TempDir Path temp) throws Exception {
        Path corrupt = DeployModelsTest.copyOf(TrainedModels.secondPropensityVersion(), temp.resolve("test-2"));
        Path modelFile = corrupt.resolve("propensity.json");
        Files.writeString(modelFile, Files.readString(modelFile).replaceFirst("\\d", "7"));
        List<ScoringRequest> inputs = realFeaturizedEvents(50);
        String stamp = deployment(corrupt, DeployModelsTest.sha256(TrainedModels.secondPropensityVersion()), null, null);
        inputs.forEach(e -> e.modelDeployments = stamp);
        assertThat(results(scoreAll(TrainedModels.registry(), inputs))).hasSize(50).allSatisfy(r -> {
            assertThat(r.status).isEqualTo(ModelStatus.OK);
            assertThat(r.version).isEqualTo(TrainedModels.VERSION);
        });
    }

    @Test
    void aShadowVersionIsComparedAndReportedWithoutActingOnDecisions() throws Exception {
        Path v2 = TrainedModels.secondPropensityVersion();
        List<ScoringRequest> inputs = realFeaturizedEvents(400);
        String stamp = deployment(null, null, v2, DeployModelsTest.sha256(v2));
        inputs.forEach(e -> e.modelDeployments = stamp);
        List<ModelOutput> out;
        try (var harness = harness(TrainedModels.registry(), 0)) { // a report with every event
            for (ScoringRequest input : inputs.subList(0, 399)) {
                harness.processElement(new ScoringRequest[] {input}, 0);
            }
            Thread.sleep(1_000); // every comparison done: the last event's report holds the rest
            harness.processElement(new ScoringRequest[] {inputs.get(399)}, 0);
            harness.endInput();
            out = harness.extractOutputValues();
        }
        assertThat(results(out)).hasSize(400).allSatisfy(r -> assertThat(r.version).isEqualTo(TrainedModels.VERSION));
        List<io.personalize.schema.ModelMonitoring> reports =
                out.stream().filter(o -> o.monitoring != null).map(o -> o.monitoring).toList();
        assertThat(reports).isNotEmpty().allSatisfy(r -> {
            assertThat(r.getModel()).isEqualTo(DecisionPolicy.PROPENSITY_MODEL);
            assertThat(r.getVersion()).isEqualTo(TrainedModels.VERSION);
        });
        long compared = reports.stream().mapToLong(r -> r.getShadowCompared()).sum();
        double agreed = reports.stream().filter(r -> r.getShadowAgreement() != null)
                .mapToDouble(r -> r.getShadowAgreement() * r.getShadowCompared()).sum();
        assertThat(compared).isEqualTo(399);
        assertThat(reports).filteredOn(r -> r.getShadowCompared() > 0)
                .allSatisfy(r -> assertThat(r.getShadowVersion()).isEqualTo(TrainedModels.VERSION_2));
        // two propensity models on the same features mostly agree on which side of 0.5 a user is
        assertThat(agreed / compared).isBetween(0.6, 1.0);
    }

    @Test
    void driftAgainstTheTrainingDistributionIsSmallInDistributionAndLargeWhenInputsShift() throws Exception {
        ModelRegistry.ModelVersion version =
                new ModelRegistry(TrainedModels.registry()).current(DecisionPolicy.PROPENSITY_MODEL, FeatureVector.NAMES);
        assertThat(version.metadata().reference.features).hasSize(FeatureVector.SIZE);
        float[][] rows = realFeaturizedEvents(3_000).stream().map(e -> e.features).toArray(float[][]::new);
        float[][] shifted = java.util.Arrays.stream(rows).map(r -> {
            float[] copy = r.clone();
            for (int f = 0; f < copy.length; f++) {
                copy[f] = copy[f] * 5 + 3;
            }
            return copy;
        }).toArray(float[][]::new);
        double[] psi = new double[2];
        String[] worst = new String[2];
        try (BatchingScorer scorer = BatchingScorer.open(version, 256, 10, n -> { }, "drift")) {
            int i = 0;
            for (float[][] batch : List.of(rows, shifted)) {
                ModelMonitor monitor = new ModelMonitor(DecisionPolicy.PROPENSITY_MODEL, version.version(), 0,
                        version.metadata().reference, FeatureVector.NAMES, 0);
                monitor.inputs(batch);
                monitor.scores(scorer.scoreNow(batch));
                var report = monitor.report(1);
                assertThat(report.getFeaturePsi()).hasSize(FeatureVector.SIZE);
                psi[i] = report.getMaxFeaturePsi();
                worst[i++] = report.getMaxFeaturePsiName();
                assertThat(report.getScorePsi()).isNotNull();
            }
        }
        assertThat(psi[1]).as("shifted inputs: %s", worst[1]).isGreaterThan(1.0).isGreaterThan(psi[0] * 3);
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
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ScoringRequest.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(JoinModelResults.PendingScores.class);
    }
}
