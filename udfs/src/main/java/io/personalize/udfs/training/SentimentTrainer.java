package io.personalize.udfs.training;

import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.sentiment.SentimentFeatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;

/**
 * Review sentiment from the UCI labelled sentences (Amazon, IMDb, Yelp): hashed n-gram counts into
 * XGBoost, served through DJL. The last fifth of each source file is held out.
 */
public final class SentimentTrainer {
    public record Report(ModelRegistry.ModelVersion model, int trainSentences, int testSentences, double accuracy,
            double auc) {}

    private final int rounds;

    public SentimentTrainer(int rounds) {
        this.rounds = rounds;
    }

    public static Path defaultFolder() {
        return OnlineRetailEvents.defaultFile().getParent().getParent().resolve("sentiment");
    }

    public Report train(ModelRegistry registry, String version, Path folder) throws Exception {
        List<float[]> trainRows = new ArrayList<>();
        List<Float> trainLabels = new ArrayList<>();
        List<float[]> testRows = new ArrayList<>();
        List<Float> testLabels = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        try (var files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.toString().endsWith("_labelled.txt")).sorted().toList()) {
                List<String[]> lines = read(file);
                int trainCount = lines.size() * 4 / 5;
                for (int i = 0; i < lines.size(); i++) {
                    float[] row = SentimentFeatures.row(lines.get(i)[0]);
                    float label = Float.parseFloat(lines.get(i)[1]);
                    (i < trainCount ? trainRows : testRows).add(row);
                    (i < trainCount ? trainLabels : testLabels).add(label);
                }
                sources.add(file.getFileName().toString());
            }
        }
        if (trainRows.isEmpty()) {
            throw new IOException("no *_labelled.txt files in " + folder);
        }
        Map<String, Object> params = XgbTraining.params("binary:logistic", "auc", 6);
        params.put("min_child_weight", 1);
        params.put("colsample_bytree", 0.5);
        DMatrix train = XgbTraining.matrix(trainRows, trainLabels, SentimentFeatures.WIDTH);
        Booster booster = XgbTraining.train(train, params, rounds);
        train.dispose();
        float[][] test = testRows.toArray(float[][]::new);
        float[] scores = XgbTraining.predict(booster, test, SentimentFeatures.WIDTH);
        float[] labels = new float[testLabels.size()];
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            labels[i] = testLabels.get(i);
            if ((scores[i] >= 0.5f) == (labels[i] > 0.5f)) {
                correct++;
            }
        }
        double accuracy = (double) correct / labels.length;
        double auc = Metrics.auc(scores, labels);

        Path file = registry.versionDir(SentimentFeatures.MODEL, version).resolve(SentimentFeatures.MODEL + ".json");
        booster.saveModel(file.toString());
        ModelMetadata metadata = ModelMetadata.of(SentimentFeatures.MODEL, version, "XGBoost", String.join(",", sources));
        metadata.featureNames = SentimentFeatures.featureNames();
        metadata.reference = XgbTraining.driftReference(booster, metadata.featureNames, trainRows);
        booster.dispose();
        metadata.metrics = new java.util.LinkedHashMap<>();
        metadata.metrics.put("test_accuracy", accuracy);
        metadata.metrics.put("test_auc", auc);
        metadata.metrics.put("train_sentences", (double) trainRows.size());
        metadata.metrics.put("test_sentences", (double) labels.length);
        XgbTraining.recordParams(metadata, params, rounds);
        metadata.params.put("split", "last fifth of each source file held out");
        ModelRegistry.ModelVersion published = registry.writeVersion(metadata, file);
        XgbTraining.verifyServing(published, java.util.Arrays.copyOf(test, Math.min(64, test.length)), scores);
        registry.makeCurrent(SentimentFeatures.MODEL, version);
        return new Report(published, trainRows.size(), labels.length, accuracy, auc);
    }

    private static List<String[]> read(Path file) throws IOException {
        List<String[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int tab = line.lastIndexOf('\t');
            if (tab > 0) {
                out.add(new String[] {line.substring(0, tab), line.substring(tab + 1).trim()});
            }
        }
        return out;
    }
}
