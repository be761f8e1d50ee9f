package io.personalize.udfs.ingest;

import io.personalize.schema.DeadLetter;
import io.personalize.schema.DeadLetterReason;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.metrics.LabeledCounters;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Valid events go on; dead letters go to a side output. Counts both, by event type and by reason. */
public class RouteDeadLetters extends ProcessFunction<DecodedEvent, UserEvent> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    private transient Map<EventType, Counter> eventsIn;
    private transient Map<DeadLetterReason, Counter> deadLetters;

    @Override
    public void open(OpenContext openContext) {
        eventsIn = LabeledCounters.register(getRuntimeContext().getMetricGroup(), EventType.class, "eventType", "eventsIn");
        deadLetters = LabeledCounters.register(getRuntimeContext().getMetricGroup(), DeadLetterReason.class, "reason",
                "deadLetters");
    }

    @Override
    public void processElement(DecodedEvent decoded, Context ctx, Collector<UserEvent> out) {
        if (decoded.isValid()) {
            eventsIn.get(decoded.event.getEventType()).inc();
            out.collect(decoded.event);
        } else {
            deadLetters.get(decoded.deadLetter.getReason()).inc();
            ctx.output(DEAD_LETTERS, decoded.deadLetter);
        }
    }
}
