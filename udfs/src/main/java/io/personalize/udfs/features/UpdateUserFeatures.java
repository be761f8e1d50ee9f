package io.personalize.udfs.features;

import io.personalize.schema.UserEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * Keyed by user: applies each event to the user's feature state and emits the event with the
 * user's features as of that event. Idle users' state expires after the configured TTL.
 */
public class UpdateUserFeatures extends KeyedProcessFunction<String, UserEvent, FeaturizedEvent> {
    private static final long serialVersionUID = 1L;

    public static final String STATE_NAME = "user-features";

    private final Duration stateTtl;
    private transient ValueState<UserFeatures> featuresState;

    public UpdateUserFeatures(Duration stateTtl) {
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<UserFeatures> descriptor = new ValueStateDescriptor<>(STATE_NAME, UserFeatures.class);
        StateExpiry.apply(descriptor, stateTtl, StateTtlConfig.UpdateType.OnCreateAndWrite);
        featuresState = getRuntimeContext().getState(descriptor);
    }

    @Override
    public void processElement(UserEvent event, Context ctx, Collector<FeaturizedEvent> out) throws Exception {
        UserFeatures features = featuresState.value();
        if (features == null) {
            features = new UserFeatures();
        }
        FeatureUpdater.apply(features, event);
        featuresState.update(features);

        out.collect(FeaturizedEvent.of(event, features));
    }
}
