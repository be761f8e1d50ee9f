package io.personalize.udfs.model;

import io.personalize.schema.ModelStatus;
import io.personalize.udfs.features.FeaturizedEvent;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Async scoring of one model from the registry (its input read by a {@link ModelInput}), micro-batched by a {@link BatchingScorer} owned by
 * this subtask. A model that cannot be loaded, errors or times out never fails the job: the event
 * goes on with a result that says so, and the decision falls back.
 */
public class ScoreWithModel<IN> extends RichAsyncFunction<IN, ModelOutput> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ScoreWithModel.class);

    private final String modelsDir;
    private final String modelName;
    private final ModelInput<IN> modelInput;
    private final int maxBatch;
    private final int queueCapacity;

    private transient BatchingScorer scorer;
    private transient String version;
    private transient String unavailableReason;
    private transient Counter timeouts;
    private transient Counter errors;
    private transient Histogram latencyMicros;

    public ScoreWithModel(String modelsDir, String modelName, ModelInput<IN> modelInput, int maxBatch,
            int queueCapacity) {
        this.modelsDir = modelsDir;
        this.modelName = modelName;
        this.modelInput = modelInput;
        this.maxBatch = maxBatch;
        this.queueCapacity = queueCapacity;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("model", modelName);
        timeouts = metrics.counter("timeouts");
        errors = metrics.counter("errors");
        latencyMicros = metrics.histogram("latencyMicros", new DescriptiveStatisticsHistogram(1000));
        Histogram batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
        try {
            ModelRegistry.ModelVersion current =
                    new ModelRegistry(Path.of(modelsDir)).current(modelName, modelInput.featureNames());
            version = current.version();
            scorer = BatchingScorer.open(current, maxBatch, queueCapacity, batchSizes::update,
                    "score-" + modelName + "-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
            LOG.info("Serving model {} version {} from {}", modelName, version, current.dir());
        } catch (Exception e) {
            version = "none";
            unavailableReason = e.getClass().getSimpleName() + ": " + e.getMessage();
            LOG.error("Model {} is unavailable, decisions will fall back: {}", modelName, unavailableReason, e);
        }
    }

    @Override
    public void asyncInvoke(IN input, ResultFuture<ModelOutput> resultFuture) {
        FeaturizedEvent about = modelInput.event(input);
        if (scorer == null) {
            resultFuture.complete(List.of(ModelOutput.result(about,
                    ModelResult.failed(modelName, version, ModelStatus.UNAVAILABLE, unavailableReason, 0))));
            return;
        }
        float[][] rows = modelInput.rows(input);
        if (rows == null) {
            resultFuture.complete(List.of(ModelOutput.result(about, ModelResult.notApplicable(modelName, version))));
            return;
        }
        long start = System.nanoTime();
        scorer.scoreRows(rows).whenComplete((scores, error) -> {
            long micros = (System.nanoTime() - start) / 1_000;
            ModelResult result;
            if (error == null) {
                latencyMicros.update(micros);
                result = ModelResult.ok(modelName, version, Float.NaN, micros);
                try {
                    modelInput.interpret(input, scores, result);
                } catch (RuntimeException e) {
                    errors.inc();
                    result = ModelResult.failed(modelName, version, ModelStatus.ERROR, String.valueOf(e), micros);
                }
            } else {
                errors.inc();
                result = ModelResult.failed(modelName, version, ModelStatus.ERROR, String.valueOf(error), micros);
            }
            resultFuture.complete(List.of(ModelOutput.result(about, result)));
        });
    }

    @Override
    public void timeout(IN input, ResultFuture<ModelOutput> resultFuture) {
        timeouts.inc();
        resultFuture.complete(List.of(ModelOutput.result(modelInput.event(input),
                ModelResult.failed(modelName, version, ModelStatus.TIMEOUT, "no score within the timeout", -1))));
    }

    @Override
    public void close() throws Exception {
        if (scorer != null) {
            scorer.close();
        }
    }
}
