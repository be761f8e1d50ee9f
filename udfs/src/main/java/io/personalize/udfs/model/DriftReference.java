package io.personalize.udfs.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model's training distribution, stored in its metadata: decile bins of its scores and of each
 * input feature, so the stream can measure drift (PSI) with the same bins.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public class DriftReference {
    /** Features are not binned for wider inputs (e.g. hashed text columns): only the score is. */
    public static final int MAX_FEATURES = 256;
    static final int BINS = 10;
    private static final double FLOOR = 1e-4;

    public Bins score;
    public List<Bins> features = new ArrayList<>();

    public DriftReference() {}

    /** Bin edges (a value v falls into bin #edges &lt;= v) and the share of the reference in each bin. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Bins {
        public String name;
        public double[] edges;
        public double[] fractions;

        public Bins() {}

        public int binOf(double value) {
            if (Double.isNaN(value)) {
                return edges.length + 1; // missing values have a bin of their own, after the last
            }
            int at = Arrays.binarySearch(edges, value);
            return at >= 0 ? at + 1 : -at - 1; // a value equal to an edge belongs above it
        }

        public int binCount() {
            return edges.length + 2;
        }

        /** Population stability index of the counts against the reference fractions. */
        public double psi(long[] counts) {
            long total = 0;
            for (long c : counts) {
                total += c;
            }
            if (total == 0) {
                return Double.NaN;
            }
            double psi = 0;
            for (int i = 0; i < fractions.length; i++) {
                double actual = Math.max(FLOOR, (double) counts[i] / total);
                double expected = Math.max(FLOOR, fractions[i]);
                psi += (actual - expected) * Math.log(actual / expected);
            }
            return psi;
        }

        static Bins of(String name, double[] values) {
            Bins bins = new Bins();
            bins.name = name;
            double[] finite = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
            double[] edges = new double[BINS - 1];
            int count = 0;
            for (int q = 1; q < BINS && finite.length > 0; q++) {
                double edge = finite[Math.min(finite.length - 1, (int) ((long) finite.length * q / BINS))];
                if (count == 0 || edge > edges[count - 1]) {
                    edges[count++] = edge;
                }
            }
            bins.edges = Arrays.copyOf(edges, count);
            long[] counts = new long[bins.binCount()];
            for (double v : values) {
                counts[bins.binOf(v)]++;
            }
            bins.fractions = new double[counts.length];
            for (int i = 0; i < counts.length; i++) {
                bins.fractions[i] = values.length == 0 ? 0 : (double) counts[i] / values.length;
            }
            return bins;
        }
    }

    /** The reference of a model from rows it was trained or evaluated on and its scores of them. */
    public static DriftReference of(List<String> featureNames, float[][] rows, float[] scores) {
        DriftReference reference = new DriftReference();
        double[] scoreValues = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            scoreValues[i] = scores[i];
        }
        reference.score = Bins.of("score", scoreValues);
        if (featureNames.size() <= MAX_FEATURES) {
            for (int f = 0; f < featureNames.size(); f++) {
                double[] column = new double[rows.length];
                for (int i = 0; i < rows.length; i++) {
                    column[i] = rows[i][f];
                }
                reference.features.add(Bins.of(featureNames.get(f), column));
            }
        }
        return reference;
    }

    /** At most {@code limit} rows, evenly spread: a reference needs a sample, not every training row. */
    public static float[][] sample(List<float[]> rows, int limit) {
        int step = Math.max(1, rows.size() / limit);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < rows.size() && out.size() < limit; i += step) {
            out.add(rows.get(i));
        }
        return out.toArray(float[][]::new);
    }
}
