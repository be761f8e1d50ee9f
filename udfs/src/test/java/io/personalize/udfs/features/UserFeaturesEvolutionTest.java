package io.personalize.udfs.features;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.ControlEvent;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TrainedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * State schema evolution of the per-user features. {@code user-features-v1-rocksdb.snapshot} is a
 * snapshot of the feature operator's RocksDB state (Flink's savepoint format for keyed state) taken
 * with the first version of {@link UserFeatures}; fields were added since. Restoring it with the
 * current code must bring back every user's features, and the job must carry on from them.
 * (Regenerate only for a new baseline: {@code mvn -pl udfs test -Dtest=UserFeaturesEvolutionTest -Dwrite.snapshots=true}.)
 */
class UserFeaturesEvolutionTest {
    private static final Path V1_SNAPSHOT = Path.of("src/test/resources/snapshots/user-features-v1-rocksdb.snapshot");
    private static final int EVENTS = 6_000;

    /** Real Online Retail purchases, with a view before every third one and a category, so every feature is exercised. */
    static List<UserEvent> events() throws Exception {
        List<UserEvent> out = new ArrayList<>();
        for (UserEvent purchase : TrainedModels.onlineRetail().subList(0, EVENTS)) {
            String category = purchase.getItemId().substring(0, Math.min(3, purchase.getItemId().length()));
            if (out.size() % 3 == 0) {
                out.add(UserEvent.newBuilder().setEventId("view-" + purchase.getEventId()).setUserId(purchase.getUserId())
                        .setEventType(EventType.VIEW).setEventTime(purchase.getEventTime() - 60_000)
                        .setItemId(purchase.getItemId()).setCategory(category).build());
            }
            out.add(UserEvent.newBuilder(purchase).setCategory(category).build());
        }
        return out;
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, UserEvent, ControlEvent, FeaturizedEvent> harness()
            throws Exception {
        var harness = new KeyedTwoInputStreamOperatorTestHarness<>(
                new KeyedCoProcessOperator<>(new UpdateUserFeatures(Duration.ZERO)),
                UserEvent::getUserId, ControlEvent::getUserId, Types.STRING);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend(false));
        return harness;
    }

    @Test
    @EnabledIfSystemProperty(named = "write.snapshots", matches = "true")
    void writeTheBaselineSnapshot() throws Exception {
        try (var harness = harness()) {
            harness.open();
            for (UserEvent e : events()) {
                harness.processElement1(new StreamRecord<>(e, e.getEventTime()));
            }
            Files.createDirectories(V1_SNAPSHOT.getParent());
            OperatorSnapshotUtil.writeStateHandle(harness.snapshot(1, 1), V1_SNAPSHOT.toString());
        }
    }

    @Test
    void everyUsersFeaturesSurviveTheNewFieldsAndTheJobCarriesOn() throws Exception {
        List<UserEvent> events = events();
        Map<String, UserFeatures> expected = new LinkedHashMap<>();
        for (UserEvent e : events) {
            FeatureUpdater.apply(expected.computeIfAbsent(e.getUserId(), u -> new UserFeatures()), e);
        }
        assertThat(expected).hasSizeGreaterThan(100);

        try (var harness = harness()) {
            harness.initializeState(OperatorSnapshotUtil.readStateHandle(V1_SNAPSHOT.toString()));
            harness.open();
            var backend = harness.getOperator().getKeyedStateBackend();
            ValueState<UserFeatures> state = backend.getPartitionedState(VoidNamespace.INSTANCE,
                    VoidNamespaceSerializer.INSTANCE,
                    new ValueStateDescriptor<>(UpdateUserFeatures.STATE_NAME, UserFeatures.class));
            for (Map.Entry<String, UserFeatures> user : expected.entrySet()) {
                backend.setCurrentKey(user.getKey());
                UserFeatures restored = state.value();
                assertThat(restored).as(user.getKey()).usingRecursiveComparison()
                        .ignoringFields("lastDevice", "lastCountry", "purchasedItems", "purchasedCounts",
                                "purchasedHours", "purchasedItemBits", "repeatPurchaseLines", "distinctPurchasedItems")
                        .isEqualTo(user.getValue());
                assertThat(restored.lastDevice).as("a field added after the snapshot starts empty").isNull();
                assertThat(restored.repeatPurchaseLines).as("added in version 3, starts at zero").isZero();
            }

            // the restored job carries on: the next event builds on the restored features
            UserEvent last = events.get(events.size() - 1);
            UserEvent next = UserEvent.newBuilder(last).setEventId("after-restore").setEventTime(last.getEventTime() + 1000)
                    .setSessionId("after-restore-order")
                    .setContext(new io.personalize.schema.EventContext("ios", "GB")).build();
            harness.processElement1(new StreamRecord<>(next, next.getEventTime()));
            FeaturizedEvent out = harness.extractOutputValues().get(0);
            assertThat(out.orders).isEqualTo(expected.get(last.getUserId()).orders + 1);
            backend.setCurrentKey(last.getUserId());
            assertThat(state.value().lastDevice).isEqualTo("ios");
            assertThat(state.value().purchasedItems).as("version 3 fields fill from the next purchase on")
                    .containsExactly(last.getItemId());
        }
    }
}
