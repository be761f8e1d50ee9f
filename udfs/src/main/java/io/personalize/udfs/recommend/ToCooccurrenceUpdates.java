package io.personalize.udfs.recommend;

import io.personalize.udfs.features.FeaturizedEvent;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/** The co-occurrence update each featurized event makes, if any ({@link ItemCooccurrence#updateFor}). */
public class ToCooccurrenceUpdates implements FlatMapFunction<FeaturizedEvent, CooccurrenceUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(FeaturizedEvent featurized, Collector<CooccurrenceUpdate> out) {
        CooccurrenceUpdate update = ItemCooccurrence.updateFor(featurized);
        if (update != null) {
            out.collect(update);
        }
    }
}
