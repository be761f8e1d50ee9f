package io.personalize.udfs.experiment;

import java.util.Arrays;

/** What the live analysis holds per experiment (keyed state, a POJO): counts per variation. */
public class ExperimentTally {
    public String[] variations;
    public double[] weights;
    public int weightsVersion;
    public boolean[] stopped;
    public String[] stopReasons;
    public long[] users;
    public long[] conversions;
    public double[] revenue;
    /** Sum over users of (the user's revenue since exposure)^2, for the variance of revenue per user. */
    public double[] revenueSquares;
    /** Users exposed since the weights last changed: what the sample-ratio check compares with them. */
    public long[] usersAtWeights;
    /** Running always-valid p-value of each variant's conversion lift. */
    public double[] sequentialPValues;
    /** Stops the guardrails asked for, with why, before the decision operator confirms them. */
    public String[] guardrailStops;
    /** Wall-clock time of the pending report, 0 when none is scheduled. */
    public long nextReportAt;

    public ExperimentTally() {}

    public void observe(ExperimentObservation o) {
        if (variations == null || !Arrays.equals(variations, o.variations)) {
            reset(o); // a new experiment under the same key
        }
        if (o.weightsVersion > weightsVersion) {
            weightsVersion = o.weightsVersion;
            weights = o.weights.clone();
            Arrays.fill(usersAtWeights, 0);
        }
        for (int i = 0; i < stopped.length; i++) {
            if (o.stoppedVariants[i] && !stopped[i]) {
                stopped[i] = true;
                stopReasons[i] = o.stopReasons[i];
            }
        }
        int v = o.variation;
        if (o.exposure) {
            users[v]++;
            if (o.weightsVersion == weightsVersion) {
                usersAtWeights[v]++;
            }
        } else {
            if (o.firstConversion) {
                conversions[v]++;
            }
            revenue[v] += o.revenue;
            revenueSquares[v] += o.revenueSquaresDelta;
        }
    }

    private void reset(ExperimentObservation o) {
        int n = o.variations.length;
        variations = o.variations.clone();
        weights = o.weights.clone();
        weightsVersion = o.weightsVersion;
        stopped = new boolean[n];
        stopReasons = new String[n];
        users = new long[n];
        conversions = new long[n];
        revenue = new double[n];
        revenueSquares = new double[n];
        usersAtWeights = new long[n];
        sequentialPValues = new double[n];
        Arrays.fill(sequentialPValues, 1);
        guardrailStops = new String[n];
    }

    public double revenuePerUser(int v) {
        return users[v] == 0 ? 0 : revenue[v] / users[v];
    }

    /** Variance of the revenue-per-user estimate. */
    public double revenuePerUserVariance(int v) {
        if (users[v] < 2) {
            return Double.NaN;
        }
        double mean = revenuePerUser(v);
        return Math.max(0, revenueSquares[v] / users[v] - mean * mean) / users[v];
    }
}
