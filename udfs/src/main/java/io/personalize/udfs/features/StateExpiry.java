package io.personalize.udfs.features;

import java.time.Duration;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;

/** Per-user state expires after a configured time without updates (0: never). */
public final class StateExpiry {
    private StateExpiry() {}

    public static void apply(StateDescriptor<?, ?> descriptor, Duration ttl, StateTtlConfig.UpdateType updateType) {
        if (!ttl.isZero()) {
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                    .setUpdateType(updateType)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
    }
}
