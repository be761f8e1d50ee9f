package io.personalize.udfs.training;

import io.personalize.udfs.model.DriftReference;

import io.personalize.udfs.model.BatchingScorer;
import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/** What every XGBoost model's training shares: matrices, parameters, and the check that DJL serves what was trained. */
public final class XgbTraining {
    private XgbTraining() {}

    public static Map<String, Object> params(String objective, String evalMetric, int maxDepth) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("objective", objective);
        params.put("eval_metric", evalMetric);
        params.put("max_depth", maxDepth);
        params.put("eta", 0.1);
        params.put("subsample", 0.8);
        params.put("min_child_weight", 5);
        params.put("nthread", 2);
        params.put("seed", 7);
        return params;
    }

    public static DMatrix matrix(List<float[]> rows, List<Float> labels, int width) throws XGBoostError {
        float[] flat = new float[rows.size() * width];
        float[] y = new float[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * width, width);
            y[i] = labels.get(i);
        }
        DMatrix m = new DMatrix(flat, rows.size(), width, Float.NaN);
        m.setLabel(y);
        return m;
    }

    public static Booster train(DMatrix train, Map<String, Object> params, int rounds) throws XGBoostError {
        return XGBoost.train(train, params, rounds, new java.util.HashMap<>(), null, null);
    }

    public static float[] predict(Booster booster, float[][] rows, int width) throws XGBoostError {
        float[] flat = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * width, width);
        }
        DMatrix m = new DMatrix(flat, rows.length, width, Float.NaN);
        try {
            float[][] predictions = booster.predict(m);
            float[] out = new float[predictions.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = predictions[i][0];
            }
            return out;
        } finally {
            m.dispose();
        }
    }


    /** The model's scores and inputs on (a sample of) its training rows: what drift is measured against. */
    public static DriftReference driftReference(Booster booster, List<String> featureNames, List<float[]> trainRows)
            throws XGBoostError {
        float[][] sample = DriftReference.sample(trainRows, 20_000);
        return DriftReference.of(featureNames, sample, predict(booster, sample, featureNames.size()));
    }

    public static void recordParams(ModelMetadata metadata, Map<String, Object> params, int rounds) {
        metadata.params = new LinkedHashMap<>();
        params.forEach((k, v) -> metadata.params.put(k, String.valueOf(v)));
        metadata.params.put("rounds", Integer.toString(rounds));
    }

    /**
     * Loads the published version through DJL and scores the sample: it must give the training
     * scores, or the version is not made current. Returns the largest difference.
     */
    public static float verifyServing(ModelRegistry.ModelVersion published, float[][] sample, float[] expected)
            throws Exception {
        float maxDifference = 0;
        try (BatchingScorer scorer = BatchingScorer.open(published, 256, 1024, n -> { }, "train-check")) {
            float[] served = scorer.scoreNow(sample);
            for (int i = 0; i < sample.length; i++) {
                maxDifference = Math.max(maxDifference, Math.abs(served[i] - expected[i]));
            }
        }
        if (maxDifference > 1e-5) {
            throw new IllegalStateException("DJL scores of " + published.dir() + " differ from training by "
                    + maxDifference + "; it was not made current");
        }
        return maxDifference;
    }
}
