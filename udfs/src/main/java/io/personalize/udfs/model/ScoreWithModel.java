package io.personalize.udfs.model;

import io.personalize.schema.ModelMonitoring;
import io.personalize.schema.ModelStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Async scoring of one model (its input read by a {@link ModelInput}). Each request is a
 * {@link MicroBatch} of events whose rows go to the model together; requests queued meanwhile are
 * batched again by the {@link BatchingScorer} this subtask owns. It serves the registry's current version until an
 * event arrives stamped by {@link DeployModels} with another one; then it loads that version and
 * switches between two events (the old scorer finishes its queue and closes). A shadow version, when
 * deployed, scores the same rows beside the live one; only its agreement is reported. A model that
 * cannot be loaded, errors or times out never fails the job: the event goes on with a result that
 * says so, and the decision falls back. Every {@code reportIntervalMs} the subtask's window of
 * volume, failures, drift (PSI against the version's training distribution) and shadow agreement
 * goes out with the next result, for the monitoring topic.
 */
public class ScoreWithModel<IN> extends RichAsyncFunction<IN[], ModelOutput> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ScoreWithModel.class);

    private final String modelsDir;
    private final String modelName;
    private final ModelInput<IN> modelInput;
    private final int maxBatch;
    private final int queueCapacity;
    private final long reportIntervalMs;

    private transient Serving live;
    private transient Serving shadow;
    private transient String unavailableReason;
    private transient String lastStamp;
    private transient ModelMonitoring pendingReport;
    private transient int subtask;
    private transient Counter timeouts;
    private transient Counter errors;
    private transient Counter swaps;
    private transient Counter swapFailures;
    private transient Histogram latencyMicros;
    private transient Histogram batchSizes;

    public ScoreWithModel(String modelsDir, String modelName, ModelInput<IN> modelInput, int maxBatch,
            int queueCapacity, long reportIntervalMs) {
        this.modelsDir = modelsDir;
        this.modelName = modelName;
        this.modelInput = modelInput;
        this.maxBatch = maxBatch;
        this.queueCapacity = queueCapacity;
        this.reportIntervalMs = reportIntervalMs;
    }

    /** One loaded version: its scorer and its monitoring window. */
    private record Serving(String version, String location, BatchingScorer scorer, ModelMonitor monitor) {
        static boolean serves(Serving serving, ModelDeployment.Version wanted) {
            return serving != null && wanted.version.equals(serving.version) && wanted.location.equals(serving.location);
        }
    }

    @Override
    public void open(OpenContext openContext) {
        subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("model", modelName);
        timeouts = metrics.counter("timeouts");
        errors = metrics.counter("errors");
        swaps = metrics.counter("versionSwitches");
        swapFailures = metrics.counter("versionSwitchFailures");
        latencyMicros = metrics.histogram("latencyMicros", new DescriptiveStatisticsHistogram(1000));
        batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
        metrics.gauge("scorePsi", (Gauge<Double>) () -> lastReport(r -> r.getScorePsi()));
        metrics.gauge("maxFeaturePsi", (Gauge<Double>) () -> lastReport(r -> r.getMaxFeaturePsi()));
        metrics.gauge("shadowAgreement", (Gauge<Double>) () -> lastReport(r -> r.getShadowAgreement()));
        metrics.gauge("liveVersion", (Gauge<String>) () -> live == null ? "none" : live.version());
        try {
            live = serve(new ModelRegistry(Path.of(modelsDir)).current(modelName, modelInput.featureNames()));
            LOG.info("Serving model {} version {} from {}", modelName, live.version(), live.location());
        } catch (Exception e) {
            unavailableReason = e.getClass().getSimpleName() + ": " + e.getMessage();
            LOG.error("Model {} is unavailable, decisions will fall back: {}", modelName, unavailableReason, e);
        }
    }

    private Double lastReport(java.util.function.Function<ModelMonitoring, Double> value) {
        Serving serving = live;
        ModelMonitoring last = serving == null ? null : serving.monitor().last();
        Double v = last == null ? null : value.apply(last);
        return v == null ? Double.NaN : v;
    }

    private Serving serve(ModelRegistry.ModelVersion version) throws Exception {
        BatchingScorer scorer = BatchingScorer.open(version, maxBatch, queueCapacity, batchSizes::update,
                "score-" + modelName + "-" + version.version() + "-" + subtask);
        ModelMonitor monitor = new ModelMonitor(modelName, version.version(), subtask, version.metadata().reference,
                modelInput.featureNames(), System.currentTimeMillis());
        return new Serving(version.version(), version.dir().toString(), scorer, monitor);
    }

    @Override
    public void asyncInvoke(IN[] batch, ResultFuture<ModelOutput> resultFuture) {
        ModelOutput[] outputs = new ModelOutput[batch.length];
        List<CompletableFuture<?>> pending = new ArrayList<>(2);
        // a deployment stamp can change inside the batch: each run of equal stamps is scored by its version
        int from = 0;
        while (from < batch.length) {
            String stamp = modelInput.about(batch[from]).modelDeployments;
            int to = from + 1;
            while (to < batch.length && java.util.Objects.equals(modelInput.about(batch[to]).modelDeployments, stamp)) {
                to++;
            }
            if (!java.util.Objects.equals(stamp, lastStamp)) {
                follow(stamp);
            }
            lastStamp = stamp;
            CompletableFuture<?> scored = score(batch, from, to, outputs);
            if (scored != null) {
                pending.add(scored);
            }
            from = to;
        }
        ModelMonitoring report = dueReport();
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
            List<ModelOutput> out = new ArrayList<>(outputs.length + 1);
            out.addAll(java.util.Arrays.asList(outputs));
            if (report != null) {
                out.add(ModelOutput.monitoring(modelInput.about(batch[0]), report));
            }
            resultFuture.complete(out);
        });
    }

    /**
     * Scores {@code batch[from..to)} with the version served now, all their rows in one request;
     * fills {@code outputs} for them (at once where there is nothing to score). Null when nothing is pending.
     */
    private CompletableFuture<?> score(IN[] batch, int from, int to, ModelOutput[] outputs) {
        Serving serving = live;
        float[][][] rowsOf = new float[to - from][][];
        int rowCount = 0;
        for (int i = from; i < to; i++) {
            ScoringRequest about = modelInput.about(batch[i]);
            if (serving == null) {
                outputs[i] = ModelOutput.result(about, ModelResult.failed(modelName, "none", ModelStatus.UNAVAILABLE,
                        unavailableReason, 0));
                continue;
            }
            float[][] rows = modelInput.rows(batch[i]);
            if (rows == null) {
                outputs[i] = ModelOutput.result(about, ModelResult.notApplicable(modelName, serving.version()));
                continue;
            }
            serving.monitor().inputs(rows);
            rowsOf[i - from] = rows;
            rowCount += rows.length;
        }
        if (rowCount == 0) {
            return null;
        }
        float[][] all = new float[rowCount][];
        int at = 0;
        for (float[][] rows : rowsOf) {
            if (rows != null) {
                System.arraycopy(rows, 0, all, at, rows.length);
                at += rows.length;
            }
        }
        long start = System.nanoTime();
        CompletableFuture<float[]> scored = serving.scorer().scoreRows(all);
        Serving candidate = shadow;
        if (candidate != null) {
            candidate.scorer().scoreRows(all).thenAcceptBoth(scored, (shadowScores, liveScores) -> {
                float[][] liveOf = perEvent(liveScores, rowsOf);
                float[][] shadowOf = perEvent(shadowScores, rowsOf);
                for (int i = from; i < to; i++) {
                    if (liveOf[i - from] != null) {
                        serving.monitor().shadow(candidate.version(),
                                modelInput.agreement(batch[i], liveOf[i - from], shadowOf[i - from]));
                    }
                }
            });
        }
        return scored.handle((scores, error) -> {
            long micros = (System.nanoTime() - start) / 1_000;
            if (error != null) {
                return alone(serving, batch, from, to, rowsOf, outputs);
            }
            latencyMicros.update(micros);
            serving.monitor().scores(scores);
            float[][] scoresOf = perEvent(scores, rowsOf);
            for (int i = from; i < to; i++) {
                if (scoresOf[i - from] != null) {
                    outputs[i] = answer(serving, batch[i], scoresOf[i - from], null, micros);
                }
            }
            return CompletableFuture.completedFuture(null);
        }).thenCompose(f -> f);
    }

    /** The scores of one request split back per event (null where an event had no rows). */
    private static float[][] perEvent(float[] scores, float[][][] rowsOf) {
        float[][] out = new float[rowsOf.length][];
        int offset = 0;
        for (int e = 0; e < rowsOf.length; e++) {
            if (rowsOf[e] != null) {
                int n = rowsOf[e].length;
                out[e] = n == scores.length ? scores : java.util.Arrays.copyOfRange(scores, offset, offset + n);
                offset += n;
            }
        }
        return out;
    }

    /** After a request of many events failed: each event alone, so one bad row fails only its own event. */
    private CompletableFuture<Void> alone(Serving serving, IN[] batch, int from, int to, float[][][] rowsOf,
            ModelOutput[] outputs) {
        List<CompletableFuture<?>> each = new ArrayList<>();
        for (int i = from; i < to; i++) {
            float[][] rows = rowsOf[i - from];
            if (rows == null) {
                continue;
            }
            int index = i;
            long start = System.nanoTime();
            each.add(serving.scorer().scoreRows(rows).handle((scores, error) -> {
                outputs[index] = answer(serving, batch[index], scores, error, (System.nanoTime() - start) / 1_000);
                return null;
            }));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    }

    private ModelOutput answer(Serving serving, IN input, float[] scores, Throwable error, long micros) {
        ModelResult result;
        if (error == null) {
            result = ModelResult.ok(modelName, serving.version(), Float.NaN, micros);
            try {
                modelInput.interpret(input, scores, result);
            } catch (RuntimeException e) {
                result = failed(serving, String.valueOf(e), micros);
            }
        } else {
            result = failed(serving, String.valueOf(error), micros);
        }
        return ModelOutput.result(modelInput.about(input), result);
    }

    private ModelResult failed(Serving serving, String reason, long micros) {
        errors.inc();
        serving.monitor().error();
        return ModelResult.failed(modelName, serving.version(), ModelStatus.ERROR, reason, micros);
    }

    /** A window report when one is due (or left from a switch), else null. */
    private ModelMonitoring dueReport() {
        ModelMonitoring report = pendingReport;
        pendingReport = null;
        Serving serving = live;
        long now = System.currentTimeMillis();
        if (report == null && serving != null && now - serving.monitor().windowStart() >= reportIntervalMs) {
            report = serving.monitor().reportIfAny(now);
        }
        return report;
    }

    /** The deployment the stamp asks for, versus what this subtask serves: switch what differs. */
    private void follow(String stamp) {
        ModelDeployment deployment;
        try {
            deployment = ModelDeployment.parse(stamp).get(modelName);
        } catch (IllegalArgumentException e) {
            swapFailures.inc();
            LOG.error("Model {}: {}", modelName, e.getMessage());
            return;
        }
        // a deployment never goes back to having no live version: without one, the registry's stays
        ModelDeployment.Version wantLive = deployment == null ? null : deployment.live;
        if (wantLive != null && !Serving.serves(live, wantLive)) {
            Serving next = load(wantLive, "live");
            if (next != null) {
                Serving previous = live;
                live = next;
                swaps.inc();
                if (previous != null) {
                    pendingReport = previous.monitor().reportIfAny(System.currentTimeMillis());
                    previous.scorer().closeWhenDrained();
                }
                LOG.info("Model {} switched to version {} from {}", modelName, next.version(), next.location());
            }
        }
        ModelDeployment.Version wantShadow = deployment == null ? null : deployment.shadow;
        if (wantShadow == null) {
            if (shadow != null) {
                shadow.scorer().closeWhenDrained();
                shadow = null;
            }
        } else if (!Serving.serves(shadow, wantShadow)) {
            Serving next = load(wantShadow, "shadow");
            if (next != null) {
                if (shadow != null) {
                    shadow.scorer().closeWhenDrained();
                }
                shadow = next;
            }
        }
    }

    /** The version, or null if it cannot be served: the old one stays. */
    private Serving load(ModelDeployment.Version wanted, String role) {
        try {
            return serve(ModelRegistry.loadAt(Path.of(wanted.location), modelName, wanted.version, wanted.sha256,
                    modelInput.featureNames()));
        } catch (Exception | LinkageError e) {
            swapFailures.inc();
            LOG.error("Model {}: cannot load {} version {} at {}; keeping what is served", modelName, role,
                    wanted.version, wanted.location, e);
            return null;
        }
    }

    @Override
    public void timeout(IN[] batch, ResultFuture<ModelOutput> resultFuture) {
        timeouts.inc(batch.length);
        Serving serving = live;
        List<ModelOutput> out = new ArrayList<>(batch.length);
        for (IN input : batch) {
            if (serving != null) {
                serving.monitor().timeout();
            }
            out.add(ModelOutput.result(modelInput.about(input), ModelResult.failed(modelName,
                    serving == null ? "none" : serving.version(), ModelStatus.TIMEOUT, "no score within the timeout", -1)));
        }
        resultFuture.complete(out);
    }

    @Override
    public void close() throws Exception {
        for (Serving serving : new Serving[] {live, shadow}) {
            if (serving != null) {
                serving.scorer().close();
            }
        }
    }
}
