package io.personalize.udfs.ingest;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.eventtime.WatermarksWithIdleness;

/**
 * Event-time watermarks for the input: bounded out-of-orderness plus idleness, both driven by
 * valid events only. A dead letter's only time is its Kafka timestamp, which says nothing about
 * event time (a replay of 2011 purchases would otherwise make every valid event late), and a
 * partition that receives nothing but garbage must still count as idle.
 */
public final class EventTimeWatermarks {
    private EventTimeWatermarks() {}

    public static WatermarkStrategy<DecodedEvent> create(Duration maxOutOfOrderness, Duration idleness) {
        return WatermarkStrategy
                .<DecodedEvent>forGenerator(ctx -> {
                    WatermarkGenerator<DecodedEvent> bounded = new BoundedOutOfOrdernessWatermarks<>(maxOutOfOrderness);
                    return new ValidEventsOnly(idleness.isZero() ? bounded
                            : new WatermarksWithIdleness<>(bounded, idleness, ctx.getInputActivityClock()));
                })
                .withTimestampAssigner((decoded, kafkaTimestamp) ->
                        decoded.isValid() ? decoded.event.getEventTime() : kafkaTimestamp);
    }

    static final class ValidEventsOnly implements WatermarkGenerator<DecodedEvent> {
        private final WatermarkGenerator<DecodedEvent> delegate;

        ValidEventsOnly(WatermarkGenerator<DecodedEvent> delegate) {
            this.delegate = delegate;
        }

        @Override
        public void onEvent(DecodedEvent decoded, long eventTimestamp, WatermarkOutput output) {
            if (decoded.isValid()) {
                delegate.onEvent(decoded, eventTimestamp, output);
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            delegate.onPeriodicEmit(output);
        }
    }
}
