package io.personalize.udfs.model;

import io.personalize.schema.ModelStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The fan-in: keyed by user, collects the featurized event and every model's result for it, and
 * emits them together once all {@code models} have answered. Each model branch completes every
 * event itself (timeouts and errors included), so this waits only for slow branches; if some
 * result is still missing after {@code joinTimeoutMs} the event goes on without it, marked TIMEOUT.
 */
public class JoinModelResults extends KeyedProcessFunction<String, ModelOutput, ScoredEvent> {
    private static final long serialVersionUID = 1L;

    public static final String PENDING_STATE = "pending-model-results";

    private final List<String> models;
    private final long joinTimeoutMs;
    private transient MapState<String, PendingScores> pending;
    private transient Counter incompleteJoins;

    public JoinModelResults(List<String> models, long joinTimeoutMs) {
        this.models = List.copyOf(models);
        this.joinTimeoutMs = joinTimeoutMs;
    }

    /** What has arrived for one event so far. A POJO for the state. */
    public static class PendingScores {
        public io.personalize.udfs.features.FeaturizedEvent input;
        public ModelResult[] results = new ModelResult[0];
        public long deadline;

        public PendingScores() {}
    }

    @Override
    public void open(OpenContext openContext) {
        pending = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(PENDING_STATE, Types.STRING, TypeInformation.of(PendingScores.class)));
        incompleteJoins = getRuntimeContext().getMetricGroup().counter("incompleteModelJoins");
    }

    @Override
    public void processElement(ModelOutput part, Context ctx, Collector<ScoredEvent> out) throws Exception {
        PendingScores scores = pending.get(part.eventId);
        if (scores == null) {
            scores = new PendingScores();
            scores.deadline = ctx.timerService().currentProcessingTime() + joinTimeoutMs;
            ctx.timerService().registerProcessingTimeTimer(scores.deadline);
        }
        if (part.input != null) {
            scores.input = part.input;
        } else {
            scores.results = Arrays.copyOf(scores.results, scores.results.length + 1);
            scores.results[scores.results.length - 1] = part.result;
        }
        if (scores.input != null && scores.results.length >= models.size()) {
            pending.remove(part.eventId);
            ctx.timerService().deleteProcessingTimeTimer(scores.deadline);
            out.collect(new ScoredEvent(scores.input, inModelOrder(scores.results)));
        } else {
            pending.put(part.eventId, scores);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ScoredEvent> out) throws Exception {
        List<String> expired = new ArrayList<>();
        for (var entry : pending.entries()) {
            if (entry.getValue().deadline <= timestamp) {
                expired.add(entry.getKey());
            }
        }
        for (String eventId : expired) {
            PendingScores scores = pending.get(eventId);
            pending.remove(eventId);
            incompleteJoins.inc();
            if (scores.input != null) {
                out.collect(new ScoredEvent(scores.input, inModelOrder(withMissing(scores.results))));
            }
        }
    }

    private ModelResult[] withMissing(ModelResult[] results) {
        List<ModelResult> all = new ArrayList<>(Arrays.asList(results));
        for (String model : models) {
            if (all.stream().noneMatch(r -> r.model.equals(model))) {
                all.add(ModelResult.failed(model, "unknown", ModelStatus.TIMEOUT,
                        "no result reached the join within " + joinTimeoutMs + " ms", -1));
            }
        }
        return all.toArray(ModelResult[]::new);
    }

    private ModelResult[] inModelOrder(ModelResult[] results) {
        ModelResult[] ordered = results.clone();
        Arrays.sort(ordered, (a, b) -> Integer.compare(models.indexOf(a.model), models.indexOf(b.model)));
        return ordered;
    }
}
