package io.personalize.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.JobSettings;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.ingest.DecodedEvent;
import io.personalize.udfs.ingest.EventDecoder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Each kind of bad record gets the reason it promises from the job's decoder, whatever the template. */
class MalformedRecordsTest {
    private static final long T = 1_320_000_000_000L; // 2011-10-30

    private static final List<UserEvent> TEMPLATES = List.of(
            UserEvent.newBuilder().setEventId("536365-0").setUserId("17850").setEventType(EventType.PURCHASE)
                    .setEventTime(T).setItemId("85123A").setPrice(2.55).setQuantity(6).setSessionId("536365").build(),
            UserEvent.newBuilder().setEventId("view-1").setUserId("u").setEventType(EventType.VIEW)
                    .setEventTime(T).setItemId("22423").setCategory("224").build(),
            UserEvent.newBuilder().setEventId("search-with-a-much-longer-event-id-" + "x".repeat(100))
                    .setUserId("12583").setEventType(EventType.SEARCH).setEventTime(T).setText("red retrospot").build());

    @Test
    void everyKindGetsItsReason() {
        EventDecoder decoder = new EventDecoder(JobSettings.MAX_EVENT_BYTES.defaultValue());
        Random random = new Random(11);
        for (MalformedRecords.Kind kind : MalformedRecords.Kind.values()) {
            int records = kind == MalformedRecords.Kind.HUGE ? 3 : 100;
            for (int i = 0; i < records; i++) {
                MalformedRecords.Bad bad = MalformedRecords.make(kind, TEMPLATES.get(i % TEMPLATES.size()), random);
                DecodedEvent decoded = decoder.decode("user-events", 0, i, 0L, bad.key(), bad.value());
                assertThat(decoded.isValid()).as(kind + " #" + i).isFalse();
                assertThat(decoded.deadLetter.getReason()).as(kind + " #" + i + ": " + decoded.deadLetter.getError())
                        .isEqualTo(kind.reason);
            }
        }
        for (UserEvent template : TEMPLATES) {
            assertThat(decoder.decode("user-events", 0, 0L, 0L, null, MalformedRecords.encode(template)).isValid())
                    .as("the templates themselves").isTrue();
        }
    }
}
