package io.personalize.udfs.training;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.UserFeatures;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The feature operator's logic run offline over an event list, for training and backtests: the
 * same {@link FeatureUpdater} and {@link FeatureVector} calls in the same per-user order, so the
 * features a model is trained on are the ones the stream serves.
 */
public final class OfflineFeatures {
    /** Sees each event with the user's features right after it and their {@link FeatureVector}. */
    public interface Visitor {
        void accept(int index, UserEvent event, UserFeatures features, float[] vector);
    }

    private OfflineFeatures() {}

    /** Replays the events in list order; returns every user's final features. */
    public static Map<String, UserFeatures> replay(List<UserEvent> events, Visitor visitor) {
        Map<String, UserFeatures> users = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            UserEvent e = events.get(i);
            UserFeatures f = users.computeIfAbsent(e.getUserId(), u -> new UserFeatures());
            FeatureUpdater.apply(f, e);
            visitor.accept(i, e, f, FeatureVector.asOfEvent(f, e));
        }
        return users;
    }
}
