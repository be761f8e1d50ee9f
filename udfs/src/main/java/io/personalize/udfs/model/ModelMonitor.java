package io.personalize.udfs.model;

import io.personalize.schema.ModelMonitoring;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scoring subtask's window of one model version: volume, failures, the scores' and inputs'
 * distribution in the bins of the version's {@link DriftReference}, and shadow agreement. Inputs
 * are observed on the task thread and scores on the scorer's thread, hence the synchronisation.
 */
public final class ModelMonitor {
    /** Fewer rows than this in a window give no PSI: it would be noise. */
    public static final int MIN_ROWS_FOR_PSI = 100;
    /** Inputs are binned for one request in this many: binning every feature of every row cost more than the rest of the operator. */
    public static final int INPUT_SAMPLE = 8;

    private final String model;
    private final String version;
    private final int subtask;
    private final DriftReference reference;
    private final int[] featureColumns;
    private long windowStart;
    private long requests;
    private long rows;
    private long errors;
    private long timeouts;
    private double scoreSum;
    private long[] scoreCounts;
    private long[][] featureCounts;
    private String shadowVersion;
    private long shadowCompared;
    private double agreementSum;
    private volatile ModelMonitoring last;

    public ModelMonitor(String model, String version, int subtask, DriftReference reference, List<String> featureNames,
            long now) {
        this.model = model;
        this.version = version;
        this.subtask = subtask;
        this.reference = reference;
        this.featureColumns = new int[reference == null ? 0 : reference.features.size()];
        for (int f = 0; f < featureColumns.length; f++) {
            featureColumns[f] = featureNames == null ? f : featureNames.indexOf(reference.features.get(f).name);
        }
        reset(now);
    }

    private void reset(long now) {
        windowStart = now;
        requests = rows = errors = timeouts = shadowCompared = 0;
        shadowVersion = null;
        scoreSum = agreementSum = 0;
        scoreCounts = reference == null || reference.score == null ? null : new long[reference.score.binCount()];
        featureCounts = new long[featureColumns.length][];
        for (int f = 0; f < featureColumns.length; f++) {
            featureCounts[f] = new long[reference.features.get(f).binCount()];
        }
    }

    public synchronized void inputs(float[][] batch) {
        if (requests++ % INPUT_SAMPLE != 0) {
            return;
        }
        for (int f = 0; f < featureColumns.length; f++) {
            int column = featureColumns[f];
            if (column < 0) {
                continue;
            }
            DriftReference.Bins bins = reference.features.get(f);
            long[] counts = featureCounts[f];
            for (float[] row : batch) {
                counts[bins.binOf(row[column])]++;
            }
        }
    }

    public synchronized void scores(float[] scores) {
        rows += scores.length;
        for (float s : scores) {
            scoreSum += s;
            if (scoreCounts != null) {
                scoreCounts[reference.score.binOf(s)]++;
            }
        }
    }

    public synchronized void error() {
        errors++;
    }

    public synchronized void timeout() {
        timeouts++;
    }

    public synchronized void shadow(String shadowVersion, double agreement) {
        this.shadowVersion = shadowVersion;
        shadowCompared++;
        agreementSum += agreement;
    }

    public long windowStart() {
        return windowStart;
    }

    /** The window as a record and a new window from {@code now}; null, and a new window, if nothing happened. */
    public synchronized ModelMonitoring reportIfAny(long now) {
        if (requests == 0 && errors == 0 && timeouts == 0) {
            reset(now);
            return null;
        }
        return report(now);
    }

    /** The window as a monitoring record, and a new window from {@code now}. */
    public synchronized ModelMonitoring report(long now) {
        Map<String, Double> featurePsi = new LinkedHashMap<>();
        String worst = null;
        double worstPsi = Double.NaN;
        boolean enough = rows >= MIN_ROWS_FOR_PSI * INPUT_SAMPLE || requests >= MIN_ROWS_FOR_PSI * INPUT_SAMPLE;
        for (int f = 0; f < featureColumns.length && enough; f++) {
            if (featureColumns[f] < 0) {
                continue;
            }
            DriftReference.Bins bins = reference.features.get(f);
            double psi = bins.psi(featureCounts[f]);
            if (!Double.isNaN(psi)) {
                featurePsi.put(bins.name, psi);
                if (worst == null || psi > worstPsi) {
                    worst = bins.name;
                    worstPsi = psi;
                }
            }
        }
        ModelMonitoring record = ModelMonitoring.newBuilder()
                .setModel(model)
                .setVersion(version)
                .setSubtask(subtask)
                .setWindowStart(windowStart)
                .setWindowEnd(now)
                .setRequests(requests)
                .setRows(rows)
                .setErrors(errors)
                .setTimeouts(timeouts)
                .setMeanScore(rows == 0 ? null : scoreSum / rows)
                .setScorePsi(scoreCounts == null || rows < MIN_ROWS_FOR_PSI ? null : reference.score.psi(scoreCounts))
                .setMaxFeaturePsi(worst == null ? null : worstPsi)
                .setMaxFeaturePsiName(worst)
                .setFeaturePsi(new LinkedHashMap<>(featurePsi))
                .setShadowVersion(shadowVersion)
                .setShadowCompared(shadowCompared)
                .setShadowAgreement(shadowCompared == 0 ? null : agreementSum / shadowCompared)
                .build();
        last = record;
        reset(now);
        return record;
    }

    /** The last report, for the gauges; null before the first. */
    public ModelMonitoring last() {
        return last;
    }
}
