package io.personalize.udfs.recommend;

import io.personalize.udfs.decision.ItemGate;
import io.personalize.udfs.features.FeaturizedEvent;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recommendation candidates for every event, from the item co-occurrence index of the registry
 * (counted up to its cut) plus every co-occurrence the stream has counted since. The stream's
 * updates arrive broadcast, so every subtask counts all of them, and the counts live in broadcast
 * state, so they survive restarts and rescaling.
 *
 * <p>An update is counted once this subtask has seen an event as late as the update's, or the
 * watermark has passed it, so an event's candidates do not come from co-occurrence far in its
 * future, as in training. Counting on arrival leaked the future into a replay at full speed, where
 * the broadcast input ran days of event time ahead of a busy subtask's own events. What remains:
 * this subtask's events come from several upstream channels, so one may arrive after a later one
 * moved the clock on (seconds live; in a replay, up to the skew between channels), and updates
 * beyond {@code maxPending} are counted at once. Waiting updates are kept in broadcast state and
 * counted with the next update that arrives when they are due: live, the stream's next update;
 * after a quiet spell they wait until then. Each subtask thus counts the same updates in a slightly
 * different order, and its counts plus its waiting updates always hold every update since the cut,
 * so any subtask's state is a valid one to restore or rescale from.
 *
 * <p>Candidates that the decision's item gate (approved catalog, safety screen) would hold back are
 * dropped before ranking, so the ranker's list is what the user can be shown, as long as it was.
 * Their rows are computed first, with every candidate, as in training, and are not changed.
 */
public class GenerateCandidates extends BroadcastProcessFunction<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GenerateCandidates.class);

    /** The counts of every item the stream touched: the registry index's, counted on by the stream. */
    public static final MapStateDescriptor<String, ItemNeighbors> STREAM_COUNTS =
            new MapStateDescriptor<>("cooccurrence-counts-since-cut", Types.STRING, TypeInformation.of(ItemNeighbors.class));
    /** The most frequent items over both (one entry). */
    public static final MapStateDescriptor<String, TopItems> TOP_ITEMS =
            new MapStateDescriptor<>("cooccurrence-top-items", Types.STRING, TypeInformation.of(TopItems.class));
    /**
     * Up to 0.1.0's savepoints: the stream's counts apart from the index's, which were summed when
     * read. Moved into {@link #STREAM_COUNTS} (index plus stream; such an item can then keep up to
     * twice {@link ItemNeighbors#MAX_NEIGHBORS}) with the first update after a restore; until then,
     * candidates see the index's counts alone.
     */
    public static final MapStateDescriptor<String, ItemNeighbors> COUNTS_APART_FROM_INDEX =
            new MapStateDescriptor<>("cooccurrence-stream-counts", Types.STRING, TypeInformation.of(ItemNeighbors.class));
    /** The updates waiting to be counted (one entry). */
    public static final MapStateDescriptor<String, PendingCooccurrence> PENDING_UPDATES =
            new MapStateDescriptor<>("cooccurrence-pending-updates", Types.STRING,
                    TypeInformation.of(PendingCooccurrence.class));
    /** Every broadcast state of the operator: what {@code updates.broadcast(...)} must name. */
    public static final MapStateDescriptor<?, ?>[] BROADCAST_STATES = {
        STREAM_COUNTS, TOP_ITEMS, PENDING_UPDATES, COUNTS_APART_FROM_INDEX};
    /** How many updates may wait before the oldest are counted anyway. */
    public static final int MAX_PENDING = 100_000;
    private static final String TOP = "top";
    private static final String PENDING = "pending";

    private final String modelsDir;
    private final int maxPending;
    private transient CooccurrenceSinceCut cooccurrence;
    private transient RecommendationCandidates generator;
    private transient ItemGate gate;
    private transient Counter candidatesHeldBack;
    private transient Counter updatesCounted;
    private transient Counter updatesAlreadyInBase;
    private transient Counter updatesCountedEarly;
    private transient int pendingUpdates;
    private transient boolean countsApartMoved;
    /** The latest event time among this subtask's events: updates up to it are not from the future. */
    private transient long eventsSeenUntil;

    public GenerateCandidates(String modelsDir) {
        this(modelsDir, MAX_PENDING);
    }

    GenerateCandidates(String modelsDir, int maxPending) {
        this.modelsDir = modelsDir;
        this.maxPending = maxPending;
    }

    @Override
    public void open(OpenContext openContext) {
        generator = Recommender.candidates();
        try {
            cooccurrence = CooccurrenceSinceCut.loadCurrent(Path.of(modelsDir));
            LOG.info("Item co-occurrence loaded: {} items counted before {}", cooccurrence.base().items.size(),
                    java.time.Instant.ofEpochMilli(cooccurrence.base().countedUntil));
        } catch (Exception e) {
            LOG.error("No item co-occurrence index in {}: candidates come from the stream's counts only", modelsDir, e);
            cooccurrence = CooccurrenceSinceCut.none();
        }
        gate = ItemGate.load(Path.of(modelsDir));
        if (gate.unavailable() != null) {
            LOG.warn("Candidates are not screened (decisions fail closed without the gate): {}", gate.unavailable());
        }
        eventsSeenUntil = Long.MIN_VALUE;
        candidatesHeldBack = getRuntimeContext().getMetricGroup().counter("candidatesHeldBackByItemGate");
        updatesCounted = getRuntimeContext().getMetricGroup().counter("cooccurrenceUpdates");
        updatesAlreadyInBase = getRuntimeContext().getMetricGroup().counter("cooccurrenceUpdatesAlreadyInIndex");
        updatesCountedEarly = getRuntimeContext().getMetricGroup().counter("cooccurrenceUpdatesCountedEarly");
        getRuntimeContext().getMetricGroup().gauge("cooccurrenceUpdatesPending", () -> pendingUpdates);
    }

    @Override
    public void processElement(FeaturizedEvent featurized, ReadOnlyContext ctx, Collector<CandidateRequest> out)
            throws Exception {
        eventsSeenUntil = Math.max(eventsSeenUntil, featurized.event.getEventTime());
        ReadOnlyBroadcastState<String, ItemNeighbors> counted = ctx.getBroadcastState(STREAM_COUNTS);
        TopItems top = ctx.getBroadcastState(TOP_ITEMS).get(TOP);
        RecommendationCandidates.Candidates all =
                generator.generate(featurized, cooccurrence.view(counted::get), cooccurrence.popular(top));
        RecommendationCandidates.Candidates shown = all.shownBy(gate);
        candidatesHeldBack.inc(all.size() - shown.size());
        out.collect(new CandidateRequest(featurized, shown));
    }

    @Override
    public void processBroadcastElement(CooccurrenceUpdate update, Context ctx, Collector<CandidateRequest> out)
            throws Exception {
        if (!countsApartMoved) {
            BroadcastState<String, ItemNeighbors> apart = ctx.getBroadcastState(COUNTS_APART_FROM_INDEX);
            BroadcastState<String, ItemNeighbors> counted = ctx.getBroadcastState(STREAM_COUNTS);
            for (var entry : apart.entries()) {
                counted.put(entry.getKey(), cooccurrence.continued(entry.getKey(), entry.getValue()));
            }
            apart.clear();
            countsApartMoved = true;
        }
        if (cooccurrence.alreadyCounted(update)) {
            updatesAlreadyInBase.inc(); // a replay of what the registry's index already holds
            return;
        }
        BroadcastState<String, PendingCooccurrence> pendingState = ctx.getBroadcastState(PENDING_UPDATES);
        PendingCooccurrence pending = pendingState.get(PENDING);
        if (pending == null) {
            pending = new PendingCooccurrence();
        }
        pending.add(update);
        long upTo = Math.max(ctx.currentWatermark(), eventsSeenUntil);
        List<CooccurrenceUpdate> due = pending.takeDue(upTo, maxPending);
        pendingState.put(PENDING, pending);
        pendingUpdates = pending.count();
        if (due.isEmpty()) {
            return;
        }
        BroadcastState<String, ItemNeighbors> counted = ctx.getBroadcastState(STREAM_COUNTS);
        BroadcastState<String, TopItems> topState = ctx.getBroadcastState(TOP_ITEMS);
        ItemCooccurrence.Store store = storeIn(counted);
        TopItems top = topState.get(TOP);
        for (CooccurrenceUpdate u : due) {
            top = cooccurrence.count(store, top, u);
            if (u.eventTime > upTo) {
                updatesCountedEarly.inc();
            }
        }
        topState.put(TOP, top);
        updatesCounted.inc(due.size());
    }

    /** Counts kept in broadcast state. */
    static ItemCooccurrence.Store storeIn(BroadcastState<String, ItemNeighbors> state) {
        return new ItemCooccurrence.Store() {
            @Override
            public ItemNeighbors get(String item) throws Exception {
                return state.get(item);
            }

            @Override
            public void put(String item, ItemNeighbors neighbors) throws Exception {
                state.put(item, neighbors);
            }
        };
    }
}
