package io.personalize.udfs.ingest;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event-time watermarks for the input: bounded out-of-orderness plus idleness. Dead letters do not
 * move the watermark: their only time is the Kafka timestamp, which says nothing about event time
 * (a replay of 2011 purchases would otherwise make every valid event late).
 */
public final class EventTimeWatermarks {
    private EventTimeWatermarks() {}

    public static WatermarkStrategy<DecodedEvent> create(Duration maxOutOfOrderness, Duration idleness) {
        WatermarkStrategy<DecodedEvent> strategy = WatermarkStrategy
                .<DecodedEvent>forGenerator(ctx -> new ValidEventsOnly(maxOutOfOrderness))
                .withTimestampAssigner((decoded, kafkaTimestamp) ->
                        decoded.isValid() ? decoded.event.getEventTime() : kafkaTimestamp);
        return idleness.isZero() ? strategy : strategy.withIdleness(idleness);
    }

    static final class ValidEventsOnly implements WatermarkGenerator<DecodedEvent> {
        private final BoundedOutOfOrdernessWatermarks<DecodedEvent> delegate;

        ValidEventsOnly(Duration maxOutOfOrderness) {
            this.delegate = new BoundedOutOfOrdernessWatermarks<>(maxOutOfOrderness);
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
