package io.personalize.udfs.features;

import static io.personalize.udfs.TestEvents.DAY;
import static io.personalize.udfs.TestEvents.T0;
import static io.personalize.udfs.TestEvents.purchase;
import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.AuditRecord;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.EventType;
import io.personalize.schema.LateEvent;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TestEvents;
import io.personalize.udfs.control.AuditRecords;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

class UpdateUserFeaturesTest {
    private static final long MINUTE = 60_000L;

    private static KeyedTwoInputStreamOperatorTestHarness<String, UserEvent, ControlEvent, FeaturizedEvent> harness(
            Duration ttl) throws Exception {
        var harness = new KeyedTwoInputStreamOperatorTestHarness<>(
                new KeyedCoProcessOperator<>(new UpdateUserFeatures(ttl)),
                UserEvent::getUserId, ControlEvent::getUserId, Types.STRING);
        harness.open();
        return harness;
    }

    private static void send(KeyedTwoInputStreamOperatorTestHarness<String, UserEvent, ControlEvent, FeaturizedEvent> h,
            UserEvent event) throws Exception {
        h.processElement1(new StreamRecord<>(event, event.getEventTime()));
    }

    private static float feature(FeaturizedEvent featurized, String name) {
        return FeatureVector.get(featurized.features, name);
    }

    @Test
    void keepsFeaturesPerUserAndEmitsThemWithEachEvent() throws Exception {
        try (var harness = harness(Duration.ZERO)) {
            send(harness, purchase("alice", "mug", T0, 3.0, 2, "o1"));
            send(harness, purchase("bob", "lamp", T0, 10.0, 1, "o2"));
            send(harness, purchase("alice", "plate", T0 + DAY, 1.0, 1, "o3"));

            List<FeaturizedEvent> out = harness.extractOutputValues();
            assertThat(out).hasSize(3);
            FeaturizedEvent aliceSecond = out.get(2);
            assertThat(aliceSecond.event.getUserId()).isEqualTo("alice");
            assertThat(aliceSecond.orders).isEqualTo(2);
            assertThat(feature(aliceSecond, "total_spend")).isEqualTo(7f);
            assertThat(feature(aliceSecond, "purchase_count_7d")).isEqualTo(2f);
            assertThat(feature(aliceSecond, "purchase_count_24h")).isEqualTo(1f);
            assertThat(aliceSecond.affinityItems).containsExactlyInAnyOrder("mug", "plate");
            assertThat(aliceSecond.recentPurchases).containsExactly("plate", "mug");
            assertThat(out.get(1).orders).isEqualTo(1);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
            assertThat(harness.numEventTimeTimers()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void sessionRecencyCategoryAndTextFeaturesReachTheModels() throws Exception {
        try (var harness = harness(Duration.ZERO)) {
            UserEvent view = TestEvents.of(EventType.VIEW, "u", "lamp", T0);
            view.setCategory("lighting");
            send(harness, view);
            UserEvent cart = TestEvents.of(EventType.ADD_TO_CART, "u", "lamp", T0 + 5 * MINUTE);
            cart.setCategory("lighting");
            cart.setPrice(20.0);
            cart.setQuantity(2);
            send(harness, cart);
            UserEvent search = TestEvents.of(EventType.SEARCH, "u", null, T0 + 8 * MINUTE);
            search.setText("Red lamp shade");
            send(harness, search);

            FeaturizedEvent out = harness.extractOutputValues().get(2);
            assertThat(feature(out, "session_events")).isEqualTo(3f);
            assertThat(feature(out, "session_minutes")).isEqualTo(8f);
            assertThat(feature(out, "cart_value_1h")).isEqualTo(40f);
            assertThat(feature(out, "add_to_cart_count_5m")).isEqualTo(1f);
            assertThat(feature(out, "view_count_5m")).as("the view is 8 minutes old").isZero();
            assertThat(feature(out, "view_count_1h")).isEqualTo(1f);
            assertThat(feature(out, "hours_since_last_add_to_cart")).isEqualTo(0.05f);
            assertThat(feature(out, "distinct_affinity_categories")).isEqualTo(1f);
            assertThat(out.textTokens).containsExactly(TextFeatures.hashedTokens("red lamp shade"));
            assertThat(harness.extractOutputValues().get(1).textTokens).isEmpty();
            assertThat(out.recentItems).containsExactly("lamp");
        }
    }

    @Test
    void outOfOrderEventsWithinTheBoundUpdateTheirOwnBuckets() throws Exception {
        try (var harness = harness(Duration.ZERO)) {
            harness.processBothWatermarks(new Watermark(T0 - MINUTE));
            send(harness, TestEvents.of(EventType.VIEW, "u", "a", T0 + 3 * MINUTE));
            // 2.5 minutes earlier, still ahead of the watermark: in order as far as the job is concerned
            send(harness, TestEvents.of(EventType.VIEW, "u", "b", T0 + 30_000));
            FeaturizedEvent after = harness.extractOutputValues().get(1);
            assertThat(feature(after, "view_count_5m")).isEqualTo(2f);
            assertThat(feature(after, "distinct_view_items_5m")).isGreaterThan(1.5f);
            assertThat(harness.getSideOutput(UpdateUserFeatures.LATE_EVENTS)).isNullOrEmpty();
            assertThat(lateCounter(harness)).isZero();
        }
    }

    @Test
    void lateEventsCorrectTheWindowsStillHoldingTheirBucketAndReportTheRest() throws Exception {
        try (var harness = harness(Duration.ZERO)) {
            long now = T0 + 2 * DAY;
            send(harness, TestEvents.of(EventType.CLICK, "u", "a", now));
            harness.processBothWatermarks(new Watermark(now));

            // two hours late: too old for 5m and 1h, still inside the 24h, 7d and 30d buckets
            send(harness, TestEvents.of(EventType.CLICK, "u", "b", now - 2 * 3600_000L));
            FeaturizedEvent corrected = harness.extractOutputValues().get(1);
            assertThat(feature(corrected, "click_count_5m")).isEqualTo(1f);
            assertThat(feature(corrected, "click_count_1h")).isEqualTo(1f);
            assertThat(feature(corrected, "click_count_24h")).isEqualTo(2f);
            assertThat(feature(corrected, "click_count_30d")).isEqualTo(2f);
            assertThat(corrected.affinityItems).contains("b");

            // sixty days late: no window holds it; lifetime counters and affinity still take it
            send(harness, TestEvents.of(EventType.CLICK, "u", "c", now - 60 * DAY));
            FeaturizedEvent ancient = harness.extractOutputValues().get(2);
            assertThat(feature(ancient, "click_count_30d")).isEqualTo(2f);

            List<LateEvent> late = harness.getSideOutput(UpdateUserFeatures.LATE_EVENTS).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(late).hasSize(2);
            assertThat(late.get(0).getMissedWindows()).containsExactly("5m", "1h");
            assertThat(late.get(0).getWatermark()).isEqualTo(now);
            assertThat(late.get(1).getMissedWindows()).containsExactly("5m", "1h", "24h", "7d", "30d");
            assertThat(UserEvent.fromByteBuffer(late.get(1).getEvent()).getItemId()).isEqualTo("c");
            assertThat(lateCounter(harness)).isEqualTo(2);
        }
    }

    private static long lateCounter(KeyedTwoInputStreamOperatorTestHarness<?, ?, ?, ?> harness) {
        UpdateUserFeatures function = (UpdateUserFeatures) ((KeyedCoProcessOperator<?, ?, ?, ?>) harness.getOperator())
                .getUserFunction();
        return function.lateEventsMissingWindowsCount();
    }

    @Test
    void idleUsersExpireAfterTheTtl() throws Exception {
        try (var harness = harness(Duration.ofHours(1))) {
            harness.setStateTtlProcessingTime(0);
            send(harness, purchase("alice", "mug", T0, 3.0, 2, "o1"));
            send(harness, purchase("bob", "cup", T0, 3.0, 2, "o1"));
            assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
            harness.setStateTtlProcessingTime(Duration.ofHours(2).toMillis());
            send(harness, purchase("alice", "plate", T0 + DAY, 1.0, 1, "o2"));

            FeaturizedEvent afterExpiry = harness.extractOutputValues().get(2);
            assertThat(afterExpiry.orders).as("the expired state is not read back").isEqualTo(1);
            assertThat(afterExpiry.affinityItems).containsExactly("plate");
            assertThat(harness.numEventTimeTimers()).isZero();
            assertThat(harness.numProcessingTimeTimers()).as("TTL needs no timers").isZero();
        }
    }

    @Test
    void eraseUserDeletesEverythingHeldForTheUserAndIsAudited() throws Exception {
        try (var harness = harness(Duration.ZERO)) {
            send(harness, purchase("alice", "mug", T0, 3.0, 2, "o1"));
            send(harness, purchase("bob", "lamp", T0, 10.0, 1, "o2"));
            assertThat(harness.numKeyedStateEntries()).isEqualTo(2);

            harness.processElement2(new StreamRecord<>(erase("alice", "req-1")));
            assertThat(harness.numKeyedStateEntries()).as("only bob is left").isEqualTo(1);
            List<AuditRecord> audit = harness.getSideOutput(AuditRecords.AUDIT).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(audit).singleElement().satisfies(a -> {
                assertThat(a.getKind()).isEqualTo(AuditRecords.USER_ERASED);
                assertThat(a.getUserId()).isEqualTo("alice");
                assertThat(a.getRequestId()).isEqualTo("req-1");
                assertThat(a.getComponent()).isEqualTo(UpdateUserFeatures.COMPONENT);
                assertThat(a.getDetail()).contains("deleted");
            });

            send(harness, purchase("alice", "cup", T0 + DAY, 1.0, 1, "o3"));
            FeaturizedEvent fresh = harness.extractOutputValues().get(2);
            assertThat(fresh.orders).as("alice starts afresh").isEqualTo(1);
            assertThat(fresh.affinityItems).containsExactly("cup");
            assertThat(feature(fresh, "total_spend")).isEqualTo(1f);
            assertThat(harness.numEventTimeTimers()).isZero();
        }
    }

    static ControlEvent erase(String user, String requestId) {
        return ControlEvent.newBuilder().setRequestId(requestId).setCommand(ControlCommand.ERASE_USER)
                .setUserId(user).setRequestedBy("privacy-team").setRequestedAt(T0).build();
    }

    @Test
    void stateAndMessageTypesAreFlinkPojos() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(UserFeatures.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(FeaturizedEvent.class);
    }
}
