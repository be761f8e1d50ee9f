package io.personalize.udfs.recommend;

import io.personalize.udfs.features.FeaturizedEvent;
import java.nio.file.Path;
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
 */
public class GenerateCandidates extends BroadcastProcessFunction<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GenerateCandidates.class);

    /** Counts the stream added to the registry's index, per item. */
    public static final MapStateDescriptor<String, ItemNeighbors> STREAM_COUNTS =
            new MapStateDescriptor<>("cooccurrence-stream-counts", Types.STRING, TypeInformation.of(ItemNeighbors.class));
    /** The most frequent items over both (one entry). */
    public static final MapStateDescriptor<String, TopItems> TOP_ITEMS =
            new MapStateDescriptor<>("cooccurrence-top-items", Types.STRING, TypeInformation.of(TopItems.class));
    private static final String TOP = "top";

    private final String modelsDir;
    private transient CooccurrenceSinceCut cooccurrence;
    private transient RecommendationCandidates generator;
    private transient Counter updatesCounted;
    private transient Counter updatesAlreadyInBase;

    public GenerateCandidates(String modelsDir) {
        this.modelsDir = modelsDir;
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
        updatesCounted = getRuntimeContext().getMetricGroup().counter("cooccurrenceUpdates");
        updatesAlreadyInBase = getRuntimeContext().getMetricGroup().counter("cooccurrenceUpdatesAlreadyInIndex");
    }

    @Override
    public void processElement(FeaturizedEvent featurized, ReadOnlyContext ctx, Collector<CandidateRequest> out)
            throws Exception {
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
        BroadcastState<String, ItemNeighbors> counted = ctx.getBroadcastState(STREAM_COUNTS);
        BroadcastState<String, TopItems> topState = ctx.getBroadcastState(TOP_ITEMS);
        topState.put(TOP, cooccurrence.count(new ItemCooccurrence.Store() {
            @Override
            public ItemNeighbors get(String item) throws Exception {
                return counted.get(item);
            }

            @Override
            public void put(String item, ItemNeighbors neighbors) throws Exception {
                counted.put(item, neighbors);
            }
        }, topState.get(TOP), update));
        updatesCounted.inc();
    }
}
