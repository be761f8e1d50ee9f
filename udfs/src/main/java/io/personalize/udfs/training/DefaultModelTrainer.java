package io.personalize.udfs.training;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.decision.PopularItems;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;

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

    public static final String CHURN_MODEL = "churn";

    /** What training measured on the held-out period. */
    public record BehaviourReport(ModelRegistry.ModelVersion model, int horizonDays, int trainExamples,
            int testExamples, double positiveRate, double auc, double baselineAuc, float maxServingDifference) {}

    /** Purchase propensity: does the customer order again within the horizon? */
    public BehaviourReport trainPropensity(ModelRegistry registry, String version, List<UserEvent> events, long cutMs)
            throws Exception {
        return trainBehaviour(registry, DecisionPolicy.PROPENSITY_MODEL, version, events, cutMs, horizonDays, false);
    }

    /** Churn risk: does an active customer (one who just ordered) not come back within the horizon? */
    public BehaviourReport trainChurn(ModelRegistry registry, String version, List<UserEvent> events, long cutMs,
            int churnHorizonDays) throws Exception {
        return trainBehaviour(registry, CHURN_MODEL, version, events, cutMs, churnHorizonDays, true);
    }

    private BehaviourReport trainBehaviour(ModelRegistry registry, String name, String version, List<UserEvent> events,
            long cutMs, int horizon, boolean churn) throws Exception {
        long horizonMs = Duration.ofDays(horizon).toMillis();
        PropensityExamples all = PropensityExamples.build(events, horizonMs);
        List<float[]> trainRows = new ArrayList<>();
        List<Float> trainLabels = new ArrayList<>();
        List<float[]> testRows = new ArrayList<>();
        List<Float> testLabelList = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            long t = all.times.get(i);
            float label = churn ? 1f - all.labels.get(i) : all.labels.get(i);
            if (t + horizonMs < cutMs) {
                trainRows.add(all.rows.get(i)); // the label window closes before the cut: nothing after it leaks in
                trainLabels.add(label);
            } else if (t >= cutMs) {
                testRows.add(all.rows.get(i));
                testLabelList.add(label);
            }
        }
        Map<String, Object> params = XgbTraining.params("binary:logistic", "auc", 4);
        DMatrix trainMatrix = XgbTraining.matrix(trainRows, trainLabels, FeatureVector.SIZE);
        Booster booster = XgbTraining.train(trainMatrix, params, rounds);
        trainMatrix.dispose();

        float[][] test = testRows.toArray(float[][]::new);
        float[] testScores = XgbTraining.predict(booster, test, FeatureVector.SIZE);
        float[] testLabels = new float[test.length];
        float[] baseline = new float[test.length];
        int decayedOrders = FeatureVector.NAMES.indexOf("decayed_orders");
        double positiveRate = 0;
        for (int i = 0; i < test.length; i++) {
            testLabels[i] = testLabelList.get(i);
            positiveRate += testLabels[i];
            baseline[i] = churn ? -test[i][decayedOrders] : test[i][decayedOrders];
        }
        positiveRate /= test.length;
        double auc = Metrics.auc(testScores, testLabels);
        double baselineAuc = Metrics.auc(baseline, testLabels);

        Path file = registry.versionDir(name, version).resolve(name + ".json");
        booster.saveModel(file.toString());
        ModelMetadata metadata = ModelMetadata.of(name, version, "XGBoost", dataName)
                .trainedBetween(events.get(0).getEventTime(), cutMs);
        metadata.reference = XgbTraining.driftReference(booster, FeatureVector.NAMES, trainRows);
        booster.dispose();
        metadata.featureNames = FeatureVector.NAMES;
        metadata.metrics = new LinkedHashMap<>();
        metadata.metrics.put("test_auc", auc);
        metadata.metrics.put("baseline_decayed_orders_auc", baselineAuc);
        metadata.metrics.put("test_positive_rate", positiveRate);
        metadata.metrics.put("train_examples", (double) trainRows.size());
        metadata.metrics.put("test_examples", (double) test.length);
        XgbTraining.recordParams(metadata, params, rounds);
        metadata.params.put("horizon_days", Integer.toString(horizon));
        metadata.params.put("label", churn ? "no order within the horizon after an order" : "orders again within the horizon");
        ModelRegistry.ModelVersion published = registry.writeVersion(metadata, file);
        float maxDifference = XgbTraining.verifyServing(published,
                java.util.Arrays.copyOf(test, Math.min(256, test.length)), testScores);
        registry.makeCurrent(published.name(), published.version());
        return new BehaviourReport(published, horizon, trainRows.size(), test.length, positiveRate, auc, baselineAuc,
                maxDifference);
    }

    /** Items by how many distinct customers bought them, most first (ties by item id), at most {@code limit}. */
    static java.util.stream.Stream<Map.Entry<String, Set<String>>> byDistinctBuyers(Map<String, Set<String>> buyers,
            long limit) {
        return buyers.entrySet().stream()
                .sorted(Map.Entry.<String, Set<String>>comparingByValue((a, b) -> Integer.compare(b.size(), a.size()))
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(limit);
    }

    public int publishPopularity(ModelRegistry registry, String version, List<UserEvent> events, long cutMs)
            throws Exception {
        Map<String, Set<String>> buyers = new HashMap<>();
        for (UserEvent e : events) {
            if (e.getEventTime() < cutMs) {
                buyers.computeIfAbsent(e.getItemId(), item -> new HashSet<>()).add(e.getUserId());
            }
        }
        List<PopularItems.Entry> ranking = byDistinctBuyers(buyers, popularItems)
                .map(entry -> new PopularItems.Entry(entry.getKey(), entry.getValue().size()))
                .toList();
        Path dir = registry.versionDir(PopularItems.MODEL_NAME, version);
        Path file = dir.resolve("popular-items.json");
        ModelRegistry.json().writeValue(file.toFile(), ranking);
        ModelMetadata metadata = ModelMetadata.of(PopularItems.MODEL_NAME, version, "table", dataName)
                .trainedBetween(events.get(0).getEventTime(), cutMs);
        metadata.params = Map.of("rank_by", "distinct buyers before the cut");
        registry.publish(metadata, file);
        return buyers.size();
    }

}
