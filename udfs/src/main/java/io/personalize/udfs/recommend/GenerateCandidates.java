package io.personalize.udfs.recommend;

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
 * counts arrive broadcast, so every subtask holds the same index, and live in broadcast state, so
 * they survive restarts and rescaling.
 *
 * <p>An update is counted once this subtask has seen an event as late as the update's, or the
 * watermark has passed it, so an event's candidates come from the co-occurrence of events before it,
 * as in training. Counting on arrival leaked the future into a replay at full speed, where the
 * broadcast input can run days of event time ahead of a busy subtask's own events: the items of a
 * customer's next order became candidates for the order before. Live, the two inputs are
 * milliseconds apart and nothing waits long. Waiting updates are kept in broadcast state (at most
 * {@code maxPending}; beyond that the oldest are counted at once) and counted with the next update
 * that arrives when they are due.
 */
public class GenerateCandidates extends BroadcastProcessFunction<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GenerateCandidates.class);

    /** Counts the stream added to the registry's index, per item. */
    public static final MapStateDescriptor<String, ItemNeighbors> STREAM_COUNTS =
            new MapStateDescriptor<>("cooccurrence-counts-since-cut", Types.STRING, TypeInformation.of(ItemNeighbors.class));
    /** The most frequent items over both (one entry). */
    public static final MapStateDescriptor<String, TopItems> TOP_ITEMS =
            new MapStateDescriptor<>("cooccurrence-top-items", Types.STRING, TypeInformation.of(TopItems.class));
    /**
     * Up to 0.1.0's savepoints: the stream's counts apart from the index's, which were summed when
     * read. Moved into {@link #STREAM_COUNTS} (index plus stream) at the first update after a restore.
     */
    public static final MapStateDescriptor<String, ItemNeighbors> COUNTS_APART_FROM_INDEX =
            new MapStateDescriptor<>("cooccurrence-stream-counts", Types.STRING, TypeInformation.of(ItemNeighbors.class));
    /** The updates waiting for the watermark (one entry). */
    public static final MapStateDescriptor<String, PendingCooccurrence> PENDING_UPDATES =
            new MapStateDescriptor<>("cooccurrence-pending-updates", Types.STRING,
                    TypeInformation.of(PendingCooccurrence.class));
    /** Every broadcast state of the operator: what {@code updates.broadcast(...)} must name. */
    public static final MapStateDescriptor<?, ?>[] BROADCAST_STATES = {
        STREAM_COUNTS, TOP_ITEMS, PENDING_UPDATES, COUNTS_APART_FROM_INDEX};
    /** Updates waiting for the watermark before the oldest are counted anyway. */
    public static final int MAX_PENDING = 100_000;
    private static final String TOP = "top";
    private static final String PENDING = "pending";

    private final String modelsDir;
    private final int maxPending;
    private transient CooccurrenceSinceCut cooccurrence;
    private transient RecommendationCandidates generator;
    private transient Counter updatesCounted;
    private transient Counter updatesAlreadyInBase;
    private transient Counter updatesAheadOfWatermark;
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
        eventsSeenUntil = Long.MIN_VALUE;
        updatesCounted = getRuntimeContext().getMetricGroup().counter("cooccurrenceUpdates");
        updatesAlreadyInBase = getRuntimeContext().getMetricGroup().counter("cooccurrenceUpdatesAlreadyInIndex");
        updatesAheadOfWatermark = getRuntimeContext().getMetricGroup().counter("cooccurrenceUpdatesCountedAheadOfWatermark");
        getRuntimeContext().getMetricGroup().gauge("cooccurrenceUpdatesPending", () -> pendingUpdates);
    }

    @Override
    public void processElement(FeaturizedEvent featurized, ReadOnlyContext ctx, Collector<CandidateRequest> out)
            throws Exception {
        eventsSeenUntil = Math.max(eventsSeenUntil, featurized.event.getEventTime());
        ReadOnlyBroadcastState<String, ItemNeighbors> counted = ctx.getBroadcastState(STREAM_COUNTS);
        TopItems top = ctx.getBroadcastState(TOP_ITEMS).get(TOP);
        out.collect(new CandidateRequest(featurized,
                generator.generate(featurized, cooccurrence.view(counted::get), cooccurrence.popular(top))));
    }

    @Override
    public void processBroadcastElement(CooccurrenceUpdate update, Context ctx, Collector<CandidateRequest> out)
            throws Exception {
        if (cooccurrence.alreadyCounted(update)) {
            updatesAlreadyInBase.inc(); // a replay of what the registry's index already holds
            return;
        }
        if (!countsApartMoved) {
            BroadcastState<String, ItemNeighbors> apart = ctx.getBroadcastState(COUNTS_APART_FROM_INDEX);
            BroadcastState<String, ItemNeighbors> counted = ctx.getBroadcastState(STREAM_COUNTS);
            for (var entry : apart.entries()) {
                counted.put(entry.getKey(), cooccurrence.continued(entry.getKey(), entry.getValue()));
            }
            apart.clear();
            countsApartMoved = true;
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
        ItemCooccurrence.Store store = new ItemCooccurrence.Store() {
            @Override
            public ItemNeighbors get(String item) throws Exception {
                return counted.get(item);
            }

            @Override
            public void put(String item, ItemNeighbors neighbors) throws Exception {
                counted.put(item, neighbors);
            }
        };
        TopItems top = topState.get(TOP);
        for (CooccurrenceUpdate u : due) {
            top = cooccurrence.count(store, top, u);
            if (u.eventTime > upTo) {
                updatesAheadOfWatermark.inc();
            }
        }
        topState.put(TOP, top);
        updatesCounted.inc(due.size());
    }
}
