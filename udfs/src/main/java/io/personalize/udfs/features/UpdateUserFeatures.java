package io.personalize.udfs.features;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.LateEvent;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.control.AuditRecords;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by user: applies each event to the user's feature state and emits the event with the
 * user's features as of that event. Idle users' state expires after the configured TTL.
 *
 * <p>An event behind the watermark (later than the out-of-orderness bound) still updates every
 * feature and every window that holds its bucket; when some window no longer does, it is counted
 * and reported on {@link #LATE_EVENTS}. An ERASE_USER command on the second input deletes the
 * user's state at once and is audited.
 */
public class UpdateUserFeatures extends KeyedCoProcessFunction<String, UserEvent, ControlEvent, FeaturizedEvent> {
    private static final long serialVersionUID = 1L;

    public static final String STATE_NAME = "user-features";
    public static final String COMPONENT = "user-features";
    public static final OutputTag<LateEvent> LATE_EVENTS = new OutputTag<>("late-events") {};

    private final Duration stateTtl;
    private transient ValueState<UserFeatures> featuresState;
    private transient Counter lateEvents;
    private transient Counter lateEventsMissingWindows;
    private transient Counter usersErased;

    public UpdateUserFeatures(Duration stateTtl) {
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<UserFeatures> descriptor = new ValueStateDescriptor<>(STATE_NAME, UserFeatures.class);
        StateExpiry.apply(descriptor, stateTtl, StateTtlConfig.UpdateType.OnCreateAndWrite);
        featuresState = getRuntimeContext().getState(descriptor);
        lateEvents = getRuntimeContext().getMetricGroup().counter("lateEvents");
        lateEventsMissingWindows = getRuntimeContext().getMetricGroup().counter("lateEventsMissingWindows");
        usersErased = getRuntimeContext().getMetricGroup().counter("usersErased");
    }

    @Override
    public void processElement1(UserEvent event, Context ctx, Collector<FeaturizedEvent> out) throws Exception {
        UserFeatures features = featuresState.value();
        if (features == null) {
            features = new UserFeatures();
        }
        int missedWindows = FeatureUpdater.apply(features, event);
        featuresState.update(features);

        long watermark = ctx.timerService().currentWatermark();
        if (event.getEventTime() < watermark) {
            lateEvents.inc();
            if (missedWindows != 0) {
                lateEventsMissingWindows.inc();
                ctx.output(LATE_EVENTS, LateEvent.newBuilder()
                        .setEventId(event.getEventId())
                        .setUserId(event.getUserId())
                        .setEventTime(event.getEventTime())
                        .setWatermark(watermark)
                        .setMissedWindows(FeatureWindows.names(missedWindows))
                        .setEvent(event.toByteBuffer())
                        .setProcessedAt(System.currentTimeMillis())
                        .build());
            }
        }
        out.collect(FeaturizedEvent.of(event, features));
    }

    /** Late events that some window could not take, so far (for tests; the metric is the same counter). */
    long lateEventsMissingWindowsCount() {
        return lateEventsMissingWindows.getCount();
    }

    @Override
    public void processElement2(ControlEvent control, Context ctx, Collector<FeaturizedEvent> out) throws Exception {
        if (control.getCommand() != ControlCommand.ERASE_USER) {
            return;
        }
        boolean held = featuresState.value() != null;
        featuresState.clear();
        usersErased.inc();
        ctx.output(AuditRecords.AUDIT, AuditRecords.of(AuditRecords.USER_ERASED, COMPONENT, control,
                held ? "deleted the user's features" : "no features were held for the user"));
    }
}
