package io.personalize.udfs.recommend;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.types.PojoTestUtils;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCandidatesTest {
    private static final MapStateDescriptor<?, ?>[] STATES = GenerateCandidates.BROADCAST_STATES;

    private static FeaturizedEvent purchase(UserFeatures features, String user, String item, long time) {
        UserEvent e = UserEvent.newBuilder().setEventId(user + item + time).setUserId(user)
                .setEventType(EventType.PURCHASE).setEventTime(time).setItemId(item).setPrice(1.0).setQuantity(1)
                .setSessionId(user + time).build();
        FeatureUpdater.apply(features, e);
        return FeaturizedEvent.of(e, features);
    }

    /** Another user buys bread, then butter and jam, at {@code time}: counted through the broadcast input. */
    private static void breadButterJam(BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> h,
            long time) throws Exception {
        UserFeatures other = new UserFeatures();
        for (String item : List.of("bread", "butter", "jam")) {
            h.processBroadcastElement(ItemCooccurrence.updateFor(purchase(other, "other-" + time, item, time)), time);
        }
    }

    /** A purchase with no earlier one: an update that co-occurs with nothing, only counting its item. */
    private static void unrelatedUpdate(BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> h,
            long time) throws Exception {
        h.processBroadcastElement(ItemCooccurrence.updateFor(purchase(new UserFeatures(), "third-" + time, "tea", time)), time);
    }

    private static void watermark(BroadcastOperatorTestHarness<?, ?, ?> h, long time) throws Exception {
        h.processWatermark(time);
        h.processBroadcastWatermark(time);
    }

    private static List<String> candidatesForBread(
            BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> h, long time) throws Exception {
        int before = h.extractOutputValues().size();
        h.processElement(purchase(new UserFeatures(), "me-" + time, "bread", time), time);
        return Arrays.asList(h.extractOutputValues().get(before).items);
    }

    @Test
    void itemsBoughtTogetherInTheStreamBecomeCandidatesForOtherUsers(@TempDir Path noRegistry) throws Exception {
        try (var harness = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                new GenerateCandidates(noRegistry.toString()), STATES)) {
            breadButterJam(harness, 1_000);
            watermark(harness, 1_500);
            unrelatedUpdate(harness, 1_600); // the first update after the watermark moved counts the ones it passed
            FeaturizedEvent mine = purchase(new UserFeatures(), "me", "bread", 2_000);
            harness.processElement(mine, 2_000);

            CandidateRequest request = harness.extractOutputValues().get(0);
            assertThat(request.about.eventId).isEqualTo(mine.event.getEventId());
            assertThat(request.ownItems).isEqualTo(1);
            assertThat(request.items[0]).isEqualTo("bread");
            List<String> items = Arrays.asList(request.items);
            assertThat(items).contains("butter", "jam");
            int butter = items.indexOf("butter");
            assertThat(RecommendationCandidates.isCooccurring(request.rows[butter])).isTrue();
            assertThat(request.rows[butter][4]).as("P(butter | bread)").isEqualTo(1f);
            assertThat(Arrays.stream(request.rows).allMatch(r -> r.length == RecommendationCandidates.WIDTH)).isTrue();
        }
    }

    @Test
    void anEventDoesNotSeeTheCooccurrenceOfLaterEventsThatArrivedBeforeIt(@TempDir Path noRegistry) throws Exception {
        try (var harness = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                new GenerateCandidates(noRegistry.toString()), STATES)) {
            // a replay: the broadcast input runs ahead of this subtask's own events
            breadButterJam(harness, 50_000);
            unrelatedUpdate(harness, 60_000);
            watermark(harness, 1_500);
            unrelatedUpdate(harness, 60_001);
            assertThat(candidatesForBread(harness, 2_000)).doesNotContain("butter", "jam");
            assertThat(harness.getBroadcastState(GenerateCandidates.PENDING_UPDATES).get("pending").count()).isEqualTo(5);

            watermark(harness, 55_000);
            unrelatedUpdate(harness, 60_002);
            assertThat(candidatesForBread(harness, 56_000)).contains("butter", "jam");
            PendingCooccurrence pending = harness.getBroadcastState(GenerateCandidates.PENDING_UPDATES).get("pending");
            assertThat(pending.count()).as("the three tea updates after the watermark still wait").isEqualTo(3);
            assertThat(Arrays.stream(pending.updates, pending.head, pending.end).mapToLong(u -> u.eventTime))
                    .containsExactly(60_000L, 60_001L, 60_002L);
        }
    }

    @Test
    void updatesAsLateAsTheSubtasksOwnEventsAreCountedWithoutWaitingForTheWatermark(@TempDir Path noRegistry)
            throws Exception {
        try (var harness = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                new GenerateCandidates(noRegistry.toString()), STATES)) {
            breadButterJam(harness, 1_000); // no watermark yet: they wait
            assertThat(candidatesForBread(harness, 2_000)).doesNotContain("butter", "jam");
            unrelatedUpdate(harness, 2_500); // this subtask has seen 2,000: the updates at 1,000 are past
            assertThat(candidatesForBread(harness, 3_000)).contains("butter", "jam");
            assertThat(harness.getBroadcastState(GenerateCandidates.PENDING_UPDATES).get("pending").count()).isEqualTo(1);
        }
    }

    @Test
    void aStalledClockHoldsBackAtMostMaxPendingUpdates(@TempDir Path noRegistry) throws Exception {
        try (var harness = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                new GenerateCandidates(noRegistry.toString(), 3), STATES)) {
            breadButterJam(harness, 1_000); // three pending: at the bound
            assertThat(candidatesForBread(harness, 500)).doesNotContain("butter", "jam");
            unrelatedUpdate(harness, 3_000);
            unrelatedUpdate(harness, 3_001);
            // the two oldest (bread, butter) were counted to make room: butter is a candidate, jam still waits
            assertThat(candidatesForBread(harness, 600)).contains("butter").doesNotContain("jam");
            assertThat(harness.getBroadcastState(GenerateCandidates.PENDING_UPDATES).get("pending").count()).isEqualTo(3);
        }
    }

    @Test
    void countsKeptApartFromTheIndexBy010AreMovedIntoTheCountsAfterARestore(@TempDir Path noRegistry) throws Exception {
        // the layout up to 0.1.0: the stream's counts alone, under their old name
        BroadcastProcessFunction<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> oldLayout = new OldLayout();
        OperatorSubtaskState saved;
        try (var old = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(oldLayout,
                GenerateCandidates.COUNTS_APART_FROM_INDEX)) {
            breadButterJam(old, 1_000);
            saved = old.snapshot(1, 1_000);
        }
        try (var restored = new BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest>(
                new CoBroadcastWithNonKeyedOperator<>(new GenerateCandidates(noRegistry.toString()), List.of(STATES)),
                1, 1, 0)) {
            restored.initializeState(saved);
            restored.open();
            unrelatedUpdate(restored, 1_100); // the first update moves them
            assertThat(restored.getBroadcastState(GenerateCandidates.COUNTS_APART_FROM_INDEX).entries()).isEmpty();
            ItemNeighbors bread = restored.getBroadcastState(GenerateCandidates.STREAM_COUNTS).get("bread");
            assertThat(bread.occurrences).isEqualTo(1);
            assertThat(bread.countOf("butter")).isEqualTo(1);
            assertThat(bread.countOf("jam")).isEqualTo(1);
            assertThat(candidatesForBread(restored, 2_000)).contains("butter", "jam");
        }
    }

    @Test
    void pendingUpdatesAreAPojoKeptInEventTimeOrderAndSurviveSerializationWithSpareRoom() throws Exception {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(PendingCooccurrence.class);
        PendingCooccurrence pending = new PendingCooccurrence();
        pending.add(new CooccurrenceUpdate("a", new String[] {"b"}, 5));
        pending.add(new CooccurrenceUpdate("b", new String[0], 3));
        pending.add(new CooccurrenceUpdate("c", new String[0], 5));
        assertThat(pending.updates.length).isGreaterThan(pending.count()); // spare room: nulls in the array
        var serializer = org.apache.flink.api.common.typeinfo.TypeInformation.of(PendingCooccurrence.class)
                .createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl());
        var out = new org.apache.flink.core.memory.DataOutputSerializer(256);
        serializer.serialize(pending, out);
        PendingCooccurrence copy = serializer.deserialize(new org.apache.flink.core.memory.DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(copy.count()).isEqualTo(3);
        assertThat(copy.takeDue(4, 10)).extracting(u -> u.item).containsExactly("b");
        assertThat(copy.takeDue(4, 10)).isEmpty();
        copy.add(new CooccurrenceUpdate("d", new String[0], 4));
        assertThat(copy.takeDue(5, 10)).extracting(u -> u.item).containsExactly("d", "a", "c");
        assertThat(copy.count()).isZero();
    }

    /** Counts updates as GenerateCandidates did up to 0.1.0: apart from the index, in the old state. */
    private static final class OldLayout extends BroadcastProcessFunction<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> {
        @Override
        public void processElement(FeaturizedEvent value, ReadOnlyContext ctx, Collector<CandidateRequest> out) {}

        @Override
        public void processBroadcastElement(CooccurrenceUpdate update, Context ctx, Collector<CandidateRequest> out)
                throws Exception {
            var apart = ctx.getBroadcastState(GenerateCandidates.COUNTS_APART_FROM_INDEX);
            ItemCooccurrence.apply(new ItemCooccurrence.Store() {
                @Override
                public ItemNeighbors get(String item) throws Exception {
                    return apart.get(item);
                }

                @Override
                public void put(String item, ItemNeighbors neighbors) throws Exception {
                    apart.put(item, neighbors);
                }
            }, update);
        }
    }
}
