package io.personalize.udfs.recommend;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.catalog.CatalogBuilder;
import io.personalize.udfs.catalog.SafetyScreen;
import io.personalize.udfs.decision.ItemGate;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import io.personalize.udfs.model.ModelRegistry;
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

    /** A customer buys {@code items} in order at {@code time}: counted through the broadcast input. */
    private static void boughtTogether(BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> h,
            String customer, long time, String... items) throws Exception {
        UserFeatures features = new UserFeatures();
        for (String item : items) {
            h.processBroadcastElement(ItemCooccurrence.updateFor(purchase(features, customer, item, time)), time);
        }
    }

    /** Another user buys bread, then butter and jam, at {@code time}. */
    private static void breadButterJam(BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> h,
            long time) throws Exception {
        boughtTogether(h, "other-" + time, time, "bread", "butter", "jam");
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

    private static BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> candidates(
            Path modelsDir, int maxPending) throws Exception {
        return ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                new GenerateCandidates(modelsDir.toString(), maxPending), STATES);
    }

    /** A GenerateCandidates operator started from a snapshot. */
    private static BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> restore(
            OperatorSubtaskState saved, Path modelsDir) throws Exception {
        var restored = new BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest>(
                new CoBroadcastWithNonKeyedOperator<>(new GenerateCandidates(modelsDir.toString()), List.of(STATES)),
                1, 1, 0);
        restored.initializeState(saved);
        restored.open();
        return restored;
    }

    private static List<String> candidatesForBread(
            BroadcastOperatorTestHarness<FeaturizedEvent, CooccurrenceUpdate, CandidateRequest> h, long time) throws Exception {
        int before = h.extractOutputValues().size();
        h.processElement(purchase(new UserFeatures(), "me-" + time, "bread", time), time);
        return Arrays.asList(h.extractOutputValues().get(before).items);
    }

    @Test
    void itemsBoughtTogetherInTheStreamBecomeCandidatesForOtherUsers(@TempDir Path noRegistry) throws Exception {
        try (var harness = candidates(noRegistry, GenerateCandidates.MAX_PENDING)) {
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
        try (var harness = candidates(noRegistry, GenerateCandidates.MAX_PENDING)) {
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
    void waitingUpdatesSurviveARestore(@TempDir Path noRegistry) throws Exception {
        OperatorSubtaskState saved;
        try (var harness = candidates(noRegistry, GenerateCandidates.MAX_PENDING)) {
            breadButterJam(harness, 50_000);
            assertThat(candidatesForBread(harness, 2_000)).doesNotContain("butter", "jam");
            saved = harness.snapshot(1, 2_000);
        }
        try (var restored = restore(saved, noRegistry)) {
            assertThat(restored.getBroadcastState(GenerateCandidates.PENDING_UPDATES).get("pending").count()).isEqualTo(3);
            watermark(restored, 55_000);
            unrelatedUpdate(restored, 60_000);
            assertThat(candidatesForBread(restored, 56_000)).contains("butter", "jam");
        }
    }

    @Test
    void updatesAsLateAsTheSubtasksOwnEventsAreCountedWithoutWaitingForTheWatermark(@TempDir Path noRegistry)
            throws Exception {
        try (var harness = candidates(noRegistry, GenerateCandidates.MAX_PENDING)) {
            breadButterJam(harness, 1_000); // no watermark yet: they wait
            assertThat(candidatesForBread(harness, 2_000)).doesNotContain("butter", "jam");
            unrelatedUpdate(harness, 2_500); // this subtask has seen 2,000: the updates at 1,000 are past
            assertThat(candidatesForBread(harness, 3_000)).contains("butter", "jam");
            assertThat(harness.getBroadcastState(GenerateCandidates.PENDING_UPDATES).get("pending").count()).isEqualTo(1);
        }
    }

    @Test
    void aStalledClockHoldsBackAtMostMaxPendingUpdates(@TempDir Path noRegistry) throws Exception {
        try (var harness = candidates(noRegistry, 3)) {
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
        try (var restored = restore(saved, noRegistry)) {
            unrelatedUpdate(restored, 1_100); // the first update moves them
            assertThat(restored.getBroadcastState(GenerateCandidates.COUNTS_APART_FROM_INDEX).entries()).isEmpty();
            ItemNeighbors bread = restored.getBroadcastState(GenerateCandidates.STREAM_COUNTS).get("bread");
            assertThat(bread.occurrences).isEqualTo(1);
            assertThat(bread.countOf("butter")).isEqualTo(1);
            assertThat(bread.countOf("jam")).isEqualTo(1);
            assertThat(candidatesForBread(restored, 2_000)).contains("butter", "jam");
        }
    }

    /** A registry whose co-occurrence index, counted until {@code cut}, has one customer buying bread then butter. */
    private static Path registryWithBreadAndButter(Path root, long cut) throws Exception {
        ItemCooccurrence.InMemory index = new ItemCooccurrence.InMemory(Recommender.TOP_ITEMS);
        UserFeatures before = new UserFeatures();
        for (String item : List.of("bread", "butter")) {
            index.apply(ItemCooccurrence.updateFor(purchase(before, "before", item, cut - 1_000)));
        }
        var registry = new io.personalize.udfs.model.ModelRegistry(root);
        Path file = registry.versionDir(Recommender.COOCCURRENCE_MODEL, "v1").resolve("cooccurrence.json.gz");
        new CooccurrenceArtifact(cut, index).write(file);
        registry.publish(io.personalize.udfs.model.ModelMetadata.of(Recommender.COOCCURRENCE_MODEL, "v1", "table", "test")
                .trainedBetween(0, cut), file);
        return root;
    }

    @Test
    void theStreamCountsOnFromTheRegistrysIndex(@TempDir Path root) throws Exception {
        Path registry = registryWithBreadAndButter(root, 10_000);
        try (var harness = candidates(registry, GenerateCandidates.MAX_PENDING)) {
            assertThat(candidatesForBread(harness, 11_000)).contains("butter").doesNotContain("jam");
            // after the cut another customer buys bread, then jam
            boughtTogether(harness, "after", 12_000, "bread", "jam");
            watermark(harness, 12_500);
            unrelatedUpdate(harness, 13_000);
            ItemNeighbors bread = harness.getBroadcastState(GenerateCandidates.STREAM_COUNTS).get("bread");
            assertThat(bread.occurrences).as("once in the index, once since").isEqualTo(2);
            assertThat(bread.countOf("butter")).isEqualTo(1);
            assertThat(bread.countOf("jam")).isEqualTo(1);
            harness.processElement(purchase(new UserFeatures(), "me", "bread", 14_000), 14_000);
            CandidateRequest request = harness.extractOutputValues().get(1);
            List<String> items = Arrays.asList(request.items);
            assertThat(items).contains("butter", "jam");
            assertThat(request.rows[items.indexOf("butter")][4]).as("P(butter | bread)").isEqualTo(0.5f);
        }
        // a new operator loads the index as it was written: counting since the cut did not change it
        try (var fresh = candidates(registry, GenerateCandidates.MAX_PENDING)) {
            fresh.processElement(purchase(new UserFeatures(), "me", "bread", 14_000), 14_000);
            CandidateRequest request = fresh.extractOutputValues().get(0);
            int butter = Arrays.asList(request.items).indexOf("butter");
            assertThat(request.rows[butter][4]).as("P(butter | bread) in the index alone").isEqualTo(1f);
            assertThat(Arrays.asList(request.items)).doesNotContain("jam");
        }
    }

    /** Candidates for a customer who bought {@code items} in order, after others bought them together. */
    private static CandidateRequest candidatesAfterOthersBought(Path modelsDir, String... items) throws Exception {
        try (var harness = candidates(modelsDir, GenerateCandidates.MAX_PENDING)) {
            boughtTogether(harness, "other", 1_000, items);
            watermark(harness, 1_500);
            unrelatedUpdate(harness, 1_600);
            UserFeatures mine = new UserFeatures();
            for (int i = 0; i < 2; i++) {
                purchase(mine, "me", items[i], 2_000);
            }
            harness.processElement(purchase(mine, "me", items[2], 2_000), 2_000);
            return harness.extractOutputValues().get(0);
        }
    }

    @Test
    void candidatesTheItemGateHoldsBackAreDroppedBeforeRankingWithTheirRowsUnchanged(@TempDir Path root) throws Exception {
        // the customer had a mug (not in the catalog), a jug and a plate; others bought those with a
        // knife (screened out), a bowl and a cup
        String[] items = {"mug", "10002", "10003", "10004", "10005", "10006"};
        CandidateRequest unscreened = candidatesAfterOthersBought(root.resolve("no-gate"), items);
        List<String> all = Arrays.asList(unscreened.items);
        assertThat(all).containsExactlyInAnyOrder(items);
        assertThat(unscreened.ownItems).isEqualTo(3);

        Path gated = root.resolve("gated");
        ModelRegistry registry = new ModelRegistry(gated);
        CatalogBuilder.publish(registry, "v1", "test", new CatalogBuilder().add("10002", "WHITE JUG", 1)
                .add("10003", "BLUE PLATE", 1).add("10004", "CARVING KNIFE", 1).add("10005", "RED BOWL", 1)
                .add("10006", "TEA CUP", 1).build());
        SafetyScreen.publish(registry, "v1", List.of("knife"), "test");
        CandidateRequest screened = candidatesAfterOthersBought(gated, items);

        ItemGate gate = ItemGate.load(gated);
        List<String> shown = all.stream().filter(gate::shows).toList();
        assertThat(shown).as("the mug and the knife are held back").containsExactly("10002", "10003", "10005", "10006");
        assertThat(Arrays.asList(screened.items)).containsExactlyElementsOf(shown);
        assertThat(screened.ownItems).as("the jug and the plate").isEqualTo(2);
        for (int c = 0; c < screened.items.length; c++) {
            assertThat(screened.rows[c]).as(screened.items[c] + "'s row, computed with every candidate")
                    .containsExactly(unscreened.rows[all.indexOf(screened.items[c])]);
        }
        assertThat(Arrays.asList(screened.items).subList(0, screened.ownItems)).allMatch(i -> all.indexOf(i) < 3);
    }

    @Test
    void countsKeptApartBy010AreAddedToTheRegistrysIndexWhenMoved(@TempDir Path root) throws Exception {
        Path registry = registryWithBreadAndButter(root, 10_000);
        OperatorSubtaskState saved;
        try (var old = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new OldLayout(),
                GenerateCandidates.COUNTS_APART_FROM_INDEX)) {
            boughtTogether(old, "after", 12_000, "bread", "jam");
            saved = old.snapshot(1, 12_000);
        }
        try (var restored = restore(saved, registry)) {
            unrelatedUpdate(restored, 13_000);
            ItemNeighbors bread = restored.getBroadcastState(GenerateCandidates.STREAM_COUNTS).get("bread");
            assertThat(bread.occurrences).isEqualTo(2);
            assertThat(bread.countOf("butter")).isEqualTo(1);
            assertThat(bread.countOf("jam")).isEqualTo(1);
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
            ItemCooccurrence.apply(GenerateCandidates.storeIn(ctx.getBroadcastState(GenerateCandidates.COUNTS_APART_FROM_INDEX)),
                    update);
        }
    }
}
