package io.personalize.udfs.model;

import io.personalize.schema.ModelMonitoring;
import io.personalize.schema.ModelStatus;
import io.personalize.udfs.features.FeaturizedEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The fan-in: keyed by user, collects the featurized event and every model's result for it, and
 * emits them together once all {@code models} have answered. Each model branch completes every
 * event itself (timeouts and errors included), so this waits only for slow branches (a checkpoint
 * alignment can hold one branch back). If a result is still missing {@code joinTimeoutMs} after
 * the first part, the event goes on without it, marked TIMEOUT; an event is never dropped: without
 * its featurized input the join keeps waiting, and at the end of a bounded input (the final
 * watermark) every event still pending goes out. Results still waiting for their event then keep
 * waiting: under source idleness the final watermark can overtake records (a finished source
 * subtask sends it, an idle one does not hold it back), and the event completes them when it comes.
 * Results that arrive after their event went out are dropped after {@link #ORPHAN_MS} and counted.
 */
public class JoinModelResults extends KeyedProcessFunction<String, ModelOutput, ScoredEvent> {
    private static final long serialVersionUID = 1L;

    public static final String PENDING_STATE = "pending-model-results";
    /**
     * The featurized events waiting for their results, apart from the results: written once and read
     * once, where keeping them in {@link PendingScores} rewrote the event with every result.
     */
    public static final String PENDING_INPUTS_STATE = "pending-model-inputs";
    /**
     * How many events of the user are pending: the end-of-input timer goes when it reaches zero.
     * Asking the map instead ({@code isEmpty()}) seeks past the RocksDB tombstones of every event the
     * user completed lately, and was a third of this operator's time.
     */
    public static final String OPEN_EVENTS_STATE = "open-model-joins";
    /** The scoring subtasks' monitoring reports, for the monitoring topic. */
    public static final OutputTag<ModelMonitoring> MONITORING = new OutputTag<>("model-monitoring") {};
    /** How long results whose event never shows up (it already went out) are kept. */
    public static final long ORPHAN_MS = 10 * 60 * 1000L;

    private final List<String> models;
    private final long joinTimeoutMs;
    private transient MapState<String, PendingScores> pending;
    private transient MapState<String, FeaturizedEvent> inputs;
    private transient ValueState<Integer> openEvents;
    private transient Counter incompleteJoins;
    private transient Counter orphanedResults;

    public JoinModelResults(List<String> models, long joinTimeoutMs) {
        this.models = List.copyOf(models);
        this.joinTimeoutMs = joinTimeoutMs;
    }

    /** What has arrived for one event so far. A POJO for the state. */
    public static class PendingScores {
        /** Whether the event is in {@link #PENDING_INPUTS_STATE}. */
        public boolean hasInput;
        /** The event itself, only in state restored from a savepoint of a build that kept it here. */
        public FeaturizedEvent input;
        public ModelResult[] results = new ModelResult[0];
        public long deadline;
        public long firstSeen;

        public PendingScores() {}
    }

    @Override
    public void open(OpenContext openContext) {
        pending = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(PENDING_STATE, Types.STRING, TypeInformation.of(PendingScores.class)));
        inputs = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(PENDING_INPUTS_STATE, Types.STRING, TypeInformation.of(FeaturizedEvent.class)));
        openEvents = getRuntimeContext().getState(new ValueStateDescriptor<>(OPEN_EVENTS_STATE, Types.INT));
        incompleteJoins = getRuntimeContext().getMetricGroup().counter("incompleteModelJoins");
        orphanedResults = getRuntimeContext().getMetricGroup().counter("orphanedModelResults");
    }

    @Override
    public void processElement(ModelOutput part, Context ctx, Collector<ScoredEvent> out) throws Exception {
        if (part.monitoring != null) {
            ctx.output(MONITORING, part.monitoring);
            return;
        }
        PendingScores scores = pending.get(part.eventId);
        if (scores == null) {
            scores = new PendingScores();
            scores.firstSeen = ctx.timerService().currentProcessingTime();
            scores.deadline = scores.firstSeen + joinTimeoutMs;
            ctx.timerService().registerProcessingTimeTimer(scores.deadline);
            Integer open = openEvents.value();
            openEvents.update(open == null ? 1 : open + 1);
            if (open == null) {
                // fires only with the final watermark of a bounded input, where processing-time timers do not
                ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
            }
        }
        if (part.input != null) {
            if (scores.results.length >= models.size()) {
                complete(part.eventId, scores, part.input, scores.results, ctx.timerService(), out); // the results were there first
                return;
            }
            inputs.put(part.eventId, part.input);
            scores.hasInput = true;
        } else {
            scores.results = Arrays.copyOf(scores.results, scores.results.length + 1);
            scores.results[scores.results.length - 1] = part.result;
            if (hasInput(scores) && scores.results.length >= models.size()) {
                complete(part.eventId, scores, inputOf(part.eventId, scores), scores.results, ctx.timerService(), out);
                return;
            }
        }
        pending.put(part.eventId, scores);
    }

    private static boolean hasInput(PendingScores scores) {
        return scores.hasInput || scores.input != null;
    }

    private FeaturizedEvent inputOf(String eventId, PendingScores scores) throws Exception {
        return scores.input != null ? scores.input : inputs.get(eventId);
    }

    /** The event goes out with {@code results}, and nothing of it stays behind. */
    private void complete(String eventId, PendingScores scores, FeaturizedEvent input, ModelResult[] results,
            TimerService timers, Collector<ScoredEvent> out) throws Exception {
        pending.remove(eventId);
        if (scores.hasInput) {
            inputs.remove(eventId);
        }
        if (forgetOne(timers)) {
            // Only with the user's last open event: Flink keeps one timer per user and millisecond, so
            // another event whose first part came in the same millisecond shares this deadline. The
            // timers of events that completed earlier fire and find nothing due.
            timers.deleteProcessingTimeTimer(scores.deadline);
        }
        out.collect(new ScoredEvent(input, inModelOrder(results)));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ScoredEvent> out) throws Exception {
        boolean endOfInput = ctx.timeDomain() == TimeDomain.EVENT_TIME;
        long now = ctx.timerService().currentProcessingTime();
        List<String> due = new ArrayList<>();
        for (var entry : pending.entries()) {
            if (endOfInput || entry.getValue().deadline <= timestamp) {
                due.add(entry.getKey());
            }
        }
        for (String eventId : due) {
            PendingScores scores = pending.get(eventId);
            if (hasInput(scores)) {
                incompleteJoins.inc();
                complete(eventId, scores, inputOf(eventId, scores), withMissing(scores.results), ctx.timerService(), out);
            } else if (endOfInput) {
                // Keep waiting for the event: the final watermark does not mean it will not come. A source
                // subtask that finished sends it, and an idle one does not hold it back, so the idle
                // one's records, this event among them, can still follow it.
                continue;
            } else if (now - scores.firstSeen >= ORPHAN_MS) {
                pending.remove(eventId);
                forgetOne(ctx.timerService()); // its own deadline timer is the one firing
                orphanedResults.inc(scores.results.length);
            } else {
                scores.deadline = now + joinTimeoutMs; // the event itself is still on its way
                ctx.timerService().registerProcessingTimeTimer(scores.deadline);
                pending.put(eventId, scores);
            }
        }
    }

    /**
     * One of the user's events left the join; with the last one, so does the end-of-input timer.
     * Returns whether it was the last.
     */
    private boolean forgetOne(TimerService timers) throws Exception {
        Integer open = openEvents.value();
        if (open != null && open > 1) {
            openEvents.update(open - 1);
            return false;
        }
        if (open == null && !pending.isEmpty()) {
            return false; // events kept by a build that did not count them (restored from its savepoint): the map decides
        }
        openEvents.clear();
        timers.deleteEventTimeTimer(Long.MAX_VALUE); // no timer stays behind per user
        return true;
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
