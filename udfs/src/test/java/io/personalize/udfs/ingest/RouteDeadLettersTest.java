package io.personalize.udfs.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.DeadLetter;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TestEvents;
import java.nio.charset.StandardCharsets;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class RouteDeadLettersTest {
    @Test
    void theSourceOutputIsAPojoWithAvroFields() {
        org.apache.flink.types.PojoTestUtils.assertSerializedAsPojoWithoutKryo(DecodedEvent.class);
    }

    @Test
    void validEventsGoOnAndDeadLettersToTheSideOutput() throws Exception {
        EventDecoder decoder = new EventDecoder(1024);
        UserEvent event = TestEvents.purchase("u1", "i1", TestEvents.T0, 1.0, 1, "o1");
        DecodedEvent valid = DecodedEvent.valid(event, 5L);
        DecodedEvent bad = decoder.decode("t", 0, 7L, 6L, null, "garbage".getBytes(StandardCharsets.UTF_8));

        try (OneInputStreamOperatorTestHarness<DecodedEvent, UserEvent> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(new RouteDeadLetters())) {
            harness.processElement(valid, TestEvents.T0);
            harness.processElement(bad, 6L);

            assertThat(harness.extractOutputValues()).containsExactly(event);
            assertThat(harness.getSideOutput(RouteDeadLetters.DEAD_LETTERS))
                    .extracting(StreamRecord::getValue)
                    .extracting(DeadLetter::getOffset)
                    .containsExactly(7L);
        }
    }
}
