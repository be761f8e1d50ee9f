package io.personalize.udfs.features;

import io.personalize.schema.FeatureSnapshot;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The features topic's record of a featurized event. */
public final class FeatureSnapshots {
    private FeatureSnapshots() {}

    public static FeatureSnapshot of(FeaturizedEvent featurized) {
        Map<String, Float> values = new LinkedHashMap<>();
        for (int i = 0; i < FeatureVector.SIZE; i++) {
            values.put(FeatureVector.NAMES.get(i), featurized.features[i]);
        }
        return FeatureSnapshot.newBuilder()
                .setEventId(featurized.event.getEventId())
                .setUserId(featurized.event.getUserId())
                .setEventTime(featurized.event.getEventTime())
                .setFeatures(values)
                .setAffinityItems(Arrays.asList(featurized.affinityItems))
                .setRecentItems(Arrays.asList(featurized.recentItems))
                .build();
    }
}
