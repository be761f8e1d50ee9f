package io.personalize.udfs.segment;

import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.model.ModelRegistry;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * RFM segmentation: recency, frequency and monetary value each scored 1..5 against quintile cut
 * points learned from the customers in the training data, then named by the usual RFM rules. The
 * artifact is the cut points (JSON); scoring is a few comparisons on the feature vector.
 */
public class CustomerSegments implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String MODEL = "segment";
    public static final List<String> NAMES = List.of("PROSPECT", "CHAMPIONS", "LOYAL", "NEW", "PROMISING",
            "AT_RISK", "HIBERNATING", "NEEDS_ATTENTION");
    public static final List<String> FEATURES = List.of("hours_since_last_purchase", "orders", "total_spend");
    private static final int RECENCY = FeatureVector.NAMES.indexOf(FEATURES.get(0));
    private static final int FREQUENCY = FeatureVector.NAMES.indexOf(FEATURES.get(1));
    private static final int MONETARY = FeatureVector.NAMES.indexOf(FEATURES.get(2));

    /** Ascending quintile boundaries (4 each) of hours since the last purchase, orders and spend. */
    public double[] recencyCuts;
    public double[] frequencyCuts;
    public double[] monetaryCuts;

    public CustomerSegments() {}

    public CustomerSegments(double[] recencyCuts, double[] frequencyCuts, double[] monetaryCuts) {
        this.recencyCuts = recencyCuts;
        this.frequencyCuts = frequencyCuts;
        this.monetaryCuts = monetaryCuts;
    }

    public static CustomerSegments read(Path file) throws IOException {
        return ModelRegistry.json().readValue(file.toFile(), CustomerSegments.class);
    }

    /** The segment's index in {@link #NAMES}. */
    public int segmentOf(float[] features) {
        float hours = features[RECENCY];
        if (Float.isNaN(hours) || features[FREQUENCY] < 1) {
            return 0;
        }
        int r = 6 - score(recencyCuts, hours); // recent is good
        int f = score(frequencyCuts, features[FREQUENCY]);
        int m = score(monetaryCuts, features[MONETARY]);
        int fm = Math.round((f + m) / 2f);
        if (r >= 4 && fm >= 4) {
            return 1;
        }
        if (fm >= 4 && r >= 3) {
            return 2;
        }
        if (r >= 4 && f <= 1) {
            return 3;
        }
        if (r >= 4) {
            return 4;
        }
        if (r <= 2 && fm >= 3) {
            return 5;
        }
        if (r <= 2) {
            return 6;
        }
        return 7;
    }

    /** 1..5: how many cut points the value is above, plus one. */
    static int score(double[] cuts, double value) {
        int s = 1;
        for (double cut : cuts) {
            if (value > cut) {
                s++;
            }
        }
        return s;
    }

    /** Quintile cut points of the values. */
    public static double[] quintiles(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double[] cuts = new double[4];
        for (int q = 1; q <= 4; q++) {
            cuts[q - 1] = sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length / 5.0))];
        }
        return cuts;
    }
}
