package io.personalize.udfs.training;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.decision.PopularItems;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.model.BatchingScorer;
import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;

/**
 * Trains the default models from purchase events and publishes them to a model registry: purchase
 * propensity (XGBoost, served through DJL) and the popularity ranking. Events before the cut train;
 * the time after it measures. Features come from {@link io.personalize.udfs.features.FeatureUpdater},
 * the code the stream runs.
 */
public final class DefaultModelTrainer {
    private final String dataName;
    private final int horizonDays;
    private final int rounds;
    private final int popularItems;

    public DefaultModelTrainer(String dataName, int horizonDays, int rounds, int popularItems) {
        this.dataName = dataName;
        this.horizonDays = horizonDays;
        this.rounds = rounds;
        this.popularItems = popularItems;
    }

    /** What training measured on the held-out period. */
    public record PropensityReport(ModelRegistry.ModelVersion model, int trainExamples, int testExamples,
            double positiveRate, double auc, double baselineAuc, float maxServingDifference) {}

    public PropensityReport trainPropensity(ModelRegistry registry, String version, List<UserEvent> events, long cutMs)
            throws Exception {
        long horizonMs = Duration.ofDays(horizonDays).toMillis();
        PropensityExamples all = PropensityExamples.build(events, horizonMs);
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            long t = all.times.get(i);
            if (t + horizonMs < cutMs) {
                train.add(i); // the label window closes before the cut: nothing after it leaks in
            } else if (t >= cutMs) {
                test.add(i);
            }
        }
        DMatrix trainMatrix = matrix(all, train);
        DMatrix testMatrix = matrix(all, test);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("objective", "binary:logistic");
        params.put("eval_metric", "auc");
        params.put("max_depth", 4);
        params.put("eta", 0.1);
        params.put("subsample", 0.8);
        params.put("min_child_weight", 5);
        params.put("nthread", 2);
        params.put("seed", 7);
        Map<String, DMatrix> watches = new HashMap<>();
        Booster booster = XGBoost.train(trainMatrix, params, rounds, watches, null, null);

        float[] testLabels = testMatrix.getLabel();
        float[] testScores = column(booster.predict(testMatrix));
        double auc = Metrics.auc(testScores, testLabels);
        float[] baseline = new float[test.size()];
        int decayedOrders = FeatureVector.NAMES.indexOf("decayed_orders");
        for (int i = 0; i < test.size(); i++) {
            baseline[i] = all.rows.get(test.get(i))[decayedOrders];
        }
        double baselineAuc = Metrics.auc(baseline, testLabels);
        double positiveRate = 0;
        for (float label : testLabels) {
            positiveRate += label;
        }
        positiveRate /= testLabels.length;

        Path dir = registry.versionDir(DecisionPolicy.PROPENSITY_MODEL, version);
        Path file = dir.resolve(DecisionPolicy.PROPENSITY_MODEL + ".json");
        booster.saveModel(file.toString());

        ModelMetadata metadata = new ModelMetadata();
        metadata.name = DecisionPolicy.PROPENSITY_MODEL;
        metadata.version = version;
        metadata.engine = "XGBoost";
        metadata.featureNames = FeatureVector.NAMES;
        metadata.trainingData = dataName;
        metadata.trainedFrom = Instant.ofEpochMilli(events.get(0).getEventTime()).toString();
        metadata.trainedUntil = Instant.ofEpochMilli(cutMs).toString();
        metadata.createdAt = Instant.now().toString();
        metadata.metrics = new LinkedHashMap<>();
        metadata.metrics.put("test_auc", auc);
        metadata.metrics.put("baseline_decayed_orders_auc", baselineAuc);
        metadata.metrics.put("test_positive_rate", positiveRate);
        metadata.metrics.put("train_examples", (double) train.size());
        metadata.metrics.put("test_examples", (double) test.size());
        metadata.params = new LinkedHashMap<>();
        params.forEach((k, v) -> metadata.params.put(k, String.valueOf(v)));
        metadata.params.put("rounds", Integer.toString(rounds));
        metadata.params.put("horizon_days", Integer.toString(horizonDays));
        ModelRegistry.ModelVersion published = registry.writeVersion(metadata, file);

        // The published file must load and score the same through DJL as in training.
        float[][] sample = new float[Math.min(256, test.size())][];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = all.rows.get(test.get(i));
        }
        float maxDifference = 0;
        try (BatchingScorer scorer = BatchingScorer.open(published, 256, 1024, n -> { }, "train-check")) {
            float[] served = scorer.scoreNow(sample);
            for (int i = 0; i < sample.length; i++) {
                maxDifference = Math.max(maxDifference, Math.abs(served[i] - testScores[i]));
            }
        }
        if (maxDifference > 1e-5) {
            throw new IllegalStateException("DJL scores differ from training scores by " + maxDifference
                    + "; " + published.dir() + " was not made current");
        }
        registry.makeCurrent(published.name(), published.version());
        trainMatrix.dispose();
        testMatrix.dispose();
        booster.dispose();
        return new PropensityReport(published, train.size(), test.size(), positiveRate, auc, baselineAuc, maxDifference);
    }

    public int publishPopularity(ModelRegistry registry, String version, List<UserEvent> events, long cutMs)
            throws Exception {
        Map<String, Set<String>> buyers = new HashMap<>();
        for (UserEvent e : events) {
            if (e.getEventTime() < cutMs) {
                buyers.computeIfAbsent(e.getItemId(), item -> new HashSet<>()).add(e.getUserId());
            }
        }
        List<PopularItems.Entry> ranking = buyers.entrySet().stream()
                .sorted(Map.Entry.<String, Set<String>>comparingByValue((a, b) -> Integer.compare(b.size(), a.size()))
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(popularItems)
                .map(entry -> new PopularItems.Entry(entry.getKey(), entry.getValue().size()))
                .toList();
        Path dir = registry.versionDir(PopularItems.MODEL_NAME, version);
        Path file = dir.resolve("popular-items.json");
        ModelRegistry.json().writeValue(file.toFile(), ranking);
        ModelMetadata metadata = new ModelMetadata();
        metadata.name = PopularItems.MODEL_NAME;
        metadata.version = version;
        metadata.engine = "table";
        metadata.trainingData = dataName;
        metadata.trainedFrom = Instant.ofEpochMilli(events.get(0).getEventTime()).toString();
        metadata.trainedUntil = Instant.ofEpochMilli(cutMs).toString();
        metadata.createdAt = Instant.now().toString();
        metadata.params = Map.of("rank_by", "distinct buyers before the cut");
        registry.publish(metadata, file);
        return buyers.size();
    }

    private static DMatrix matrix(PropensityExamples examples, List<Integer> rows) throws Exception {
        int width = FeatureVector.SIZE;
        float[] flat = new float[rows.size() * width];
        float[] labels = new float[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(examples.rows.get(rows.get(i)), 0, flat, i * width, width);
            labels[i] = examples.labels.get(rows.get(i));
        }
        DMatrix matrix = new DMatrix(flat, rows.size(), width, Float.NaN);
        matrix.setLabel(labels);
        return matrix;
    }

    private static float[] column(float[][] predictions) {
        float[] out = new float[predictions.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = predictions[i][0];
        }
        return out;
    }
}
