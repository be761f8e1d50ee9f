package io.personalize.udfs.recommend;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import io.personalize.udfs.training.RankingMetrics;
import io.personalize.udfs.training.RecommenderTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

class RecommendPartsTest {
    @Test
    void neighborsAreBoundedAndReplaceTheLeastCounted() {
        ItemNeighbors n = new ItemNeighbors();
        for (int i = 0; i < ItemNeighbors.MAX_NEIGHBORS; i++) {
            n.add("i" + i, i == 5 ? 1 : 3);
        }
        n.add("new", 1);
        assertThat(n.items).hasSize(ItemNeighbors.MAX_NEIGHBORS).contains("new").doesNotContain("i5");
        assertThat(n.countOf("new")).isEqualTo(2); // space-saving: inherits the evicted count
        n.add("i0", 2);
        assertThat(n.countOf("i0")).isEqualTo(5);
    }

    @Test
    void sumAddsCountsOfTheSameItemsAndKeepsBoth() {
        ItemNeighbors a = new ItemNeighbors();
        a.occurrences = 3;
        a.add("x", 2);
        a.add("y", 1);
        ItemNeighbors b = new ItemNeighbors();
        b.occurrences = 2;
        b.add("y", 4);
        b.add("z", 1);
        ItemNeighbors sum = ItemNeighbors.sum(a, b);
        assertThat(sum.occurrences).isEqualTo(5);
        assertThat(sum.countOf("x")).isEqualTo(2);
        assertThat(sum.countOf("y")).isEqualTo(5);
        assertThat(sum.countOf("z")).isEqualTo(1);
        assertThat(a.countOf("y")).isEqualTo(1);
        assertThat(ItemNeighbors.sum(null, b)).isSameAs(b);
    }

    @Test
    void sumOfFullListsKeepsTheFirstListsOrderThenTheSecondsNewItems() {
        ItemNeighbors a = new ItemNeighbors();
        ItemNeighbors b = new ItemNeighbors();
        a.occurrences = 500;
        b.occurrences = 70;
        for (int i = 0; i < ItemNeighbors.MAX_NEIGHBORS; i++) {
            a.add("item-" + (3 * i), i + 1);
            b.add("item-" + (2 * i), 100 + i);
        }
        ItemNeighbors sum = ItemNeighbors.sum(a, b);
        // the first list's items in their order, then the second's that the first lacks, in theirs
        List<String> expected = new java.util.ArrayList<>(List.of(a.items));
        for (String item : b.items) {
            if (!expected.contains(item)) {
                expected.add(item);
            }
        }
        assertThat(sum.items).containsExactlyElementsOf(expected);
        assertThat(sum.occurrences).isEqualTo(570);
        for (String item : sum.items) {
            assertThat(sum.countOf(item)).as(item).isEqualTo(a.countOf(item) + b.countOf(item));
        }
        assertThat(sum.countOf("item-0")).isEqualTo(1 + 100);
        assertThat(sum.countOf("item-6")).isEqualTo(3 + 103);
    }

    @Test
    void theStreamsCountsContinueTheIndexAsOneIndexCountedPastTheCut() throws Exception {
        // enough items per update that neighbour lists fill and the space-saving rule evicts
        java.util.Random random = new java.util.Random(7);
        List<CooccurrenceUpdate> updates = new java.util.ArrayList<>();
        for (int t = 0; t < 4_000; t++) {
            String item = "i" + random.nextInt(150);
            String[] with = random.ints(1 + random.nextInt(8), 0, 150).mapToObj(i -> "i" + i)
                    .filter(i -> !i.equals(item)).distinct().toArray(String[]::new);
            updates.add(new CooccurrenceUpdate(item, with, t));
        }
        long cut = 2_000;
        ItemCooccurrence.InMemory throughout = new ItemCooccurrence.InMemory(20);
        ItemCooccurrence.InMemory untilCut = new ItemCooccurrence.InMemory(20);
        ItemCooccurrence.InMemory untilCutAgain = new ItemCooccurrence.InMemory(20);
        for (CooccurrenceUpdate u : updates) {
            throughout.apply(u);
            if (u.eventTime < cut) {
                untilCut.apply(u);
                untilCutAgain.apply(u);
            }
        }
        assertThat(throughout.items.values()).anyMatch(n -> n.items.length == ItemNeighbors.MAX_NEIGHBORS);

        CooccurrenceSinceCut sinceCut = new CooccurrenceSinceCut(new CooccurrenceArtifact(cut, untilCut));
        ItemCooccurrence.InMemory counted = new ItemCooccurrence.InMemory(20);
        TopItems top = null;
        for (CooccurrenceUpdate u : updates) {
            if (!sinceCut.alreadyCounted(u)) {
                top = sinceCut.count(counted, top, u);
            }
        }
        ItemCooccurrence.View view = sinceCut.view(counted);
        for (var entry : throughout.items.entrySet()) {
            ItemNeighbors expected = entry.getValue();
            ItemNeighbors actual = view.neighbors(entry.getKey());
            assertThat(actual.occurrences).as(entry.getKey()).isEqualTo(expected.occurrences);
            assertThat(actual.items).as(entry.getKey()).containsExactly(expected.items);
            assertThat(actual.counts).as(entry.getKey()).containsExactly(expected.counts);
        }
        assertThat(top.items).containsExactly(throughout.top.items);
        assertThat(top.counts).containsExactly(throughout.top.counts);
        // the index itself is untouched: still the counts at the cut
        for (var entry : untilCutAgain.items.entrySet()) {
            assertThat(untilCut.get(entry.getKey()).counts).containsExactly(entry.getValue().counts);
            assertThat(untilCut.get(entry.getKey()).occurrences).isEqualTo(entry.getValue().occurrences);
        }
    }

    @Test
    void aPurchaseCoOccursWithTheUsersPreviousPurchasesBothWays() {
        ItemCooccurrence.InMemory index = new ItemCooccurrence.InMemory(10);
        UserFeatures features = new UserFeatures();
        for (String item : List.of("a", "b", "c", "a")) {
            UserEvent e = UserEvent.newBuilder().setEventId(item).setUserId("u").setEventType(EventType.PURCHASE)
                    .setEventTime(1_000).setItemId(item).setPrice(1.0).setQuantity(1).build();
            FeatureUpdater.apply(features, e);
            index.apply(ItemCooccurrence.updateFor(FeaturizedEvent.of(e, features)));
        }
        // a,b,c then a again: a co-occurs with b (twice: b after a, a after b) and with c (twice)
        assertThat(index.get("a").occurrences).isEqualTo(2);
        assertThat(index.get("a").countOf("b")).isEqualTo(2);
        assertThat(index.get("a").countOf("c")).isEqualTo(2);
        assertThat(index.get("b").countOf("c")).isEqualTo(1);
        assertThat(index.get("a").countOf("a")).isZero();
        assertThat(index.top.items).containsExactly("a", "b", "c");
        assertThat(index.top.rankOf("c")).isEqualTo(2);
    }

    @Test
    void cooccurringItemsWhoseIdsShareAHashAreScoredApartAndTiesRankByItemId() throws Exception {
        assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());
        ItemCooccurrence.InMemory index = new ItemCooccurrence.InMemory(10);
        index.put("u1", neighbors(4, "BB", 1, "Aa", 1, "C", 2));
        index.put("Aa", neighbors(1, "u1", 1));
        index.put("BB", neighbors(1, "u1", 1));
        index.put("C", neighbors(2, "u1", 2));
        UserFeatures features = new UserFeatures();
        UserEvent purchase = UserEvent.newBuilder().setEventId("e").setUserId("u").setEventType(EventType.PURCHASE)
                .setEventTime(1_000).setItemId("u1").setPrice(1.0).setQuantity(1).build();
        FeatureUpdater.apply(features, purchase);

        var candidates = Recommender.candidates().generate(FeaturizedEvent.of(purchase, features), index, new TopItems(10));

        List<String> items = List.of(candidates.items());
        assertThat(items).contains("u1", "Aa", "BB", "C");
        int coocSum = RecommendationCandidates.FEATURE_NAMES.indexOf("cooc_sum");
        int coocRank = RecommendationCandidates.FEATURE_NAMES.indexOf("cooc_rank");
        int cosineSum = RecommendationCandidates.FEATURE_NAMES.indexOf("cosine_sum");
        int cosineRank = RecommendationCandidates.FEATURE_NAMES.indexOf("cosine_rank");
        float[] aa = candidates.rows()[items.indexOf("Aa")];
        float[] bb = candidates.rows()[items.indexOf("BB")];
        float[] c = candidates.rows()[items.indexOf("C")];
        assertThat(new float[] {aa[coocSum], bb[coocSum], c[coocSum]}).containsExactly(0.25f, 0.25f, 0.5f);
        assertThat(new float[] {aa[cosineSum], bb[cosineSum], c[cosineSum]})
                .containsExactly(0.5f, 0.5f, (float) (2 / 2.0) / (float) Math.sqrt(2));
        // C first by both scores; Aa and BB tie, and rank by item id
        assertThat(new float[] {c[coocRank], aa[coocRank], bb[coocRank]}).containsExactly(0, 1, 2);
        assertThat(new float[] {c[cosineRank], aa[cosineRank], bb[cosineRank]}).containsExactly(0, 1, 2);
    }

    private static ItemNeighbors neighbors(long occurrences, Object... itemsAndCounts) {
        ItemNeighbors n = new ItemNeighbors();
        n.occurrences = occurrences;
        for (int i = 0; i < itemsAndCounts.length; i += 2) {
            n.add((String) itemsAndCounts[i], (Integer) itemsAndCounts[i + 1]);
        }
        return n;
    }

    @Test
    void aReviewDoesNotCount() {
        UserEvent review = UserEvent.newBuilder().setEventId("r").setUserId("u").setEventType(EventType.REVIEW)
                .setEventTime(1_000).setItemId("a").setText("fine").build();
        UserFeatures features = new UserFeatures();
        FeatureUpdater.apply(features, review);
        assertThat(ItemCooccurrence.updateFor(FeaturizedEvent.of(review, features))).isNull();
    }

    @Test
    void topItemsKeepsTheMostFrequentInOrder() {
        TopItems top = new TopItems(2);
        top.update("a", 1);
        top.update("b", 2);
        top.update("c", 3);
        assertThat(top.items).containsExactly("c", "b");
        top.update("a", 5);
        assertThat(top.items).containsExactly("a", "c");
        assertThat(top.rankOf("b")).isEqualTo(-1);
    }

    @Test
    void selectionMakesRoomForNewItems() {
        // candidates 0..2 are the user's own items; 3 and 4 are new (no row says bought_before)
        RecommendationCandidates.Candidates c = new RecommendationCandidates.Candidates(
                new String[] {"o1", "o2", "o3", "n1", "n2"}, new float[5][], 3);
        float[] p = {0.9f, 0.8f, 0.7f, 0.2f, 0.1f};
        assertThat(c.select(p, 3, 1f, 0f)).containsExactly(0, 1, 2);
        // boosted, n1 (0.2 x 4) ties o2 and beats o3; ordered by the chance of the first hit
        assertThat(c.select(p, 3, 4f, 0f)).containsExactly(0, 1, 3);
        // weighing the first new hit heavily puts n1 first
        assertThat(c.select(p, 3, 4f, 10f)).containsExactly(3, 0, 1);
        assertThat(c.select(p, 6, 1f, 0f)).containsExactly(0, 1, 2, 3, 4); // only five candidates
        // a row that says bought_before is not new, even outside the own items
        float[] bought = new float[RecommendationCandidates.WIDTH];
        bought[RecommendationCandidates.BOUGHT_BEFORE] = 1;
        RecommendationCandidates.Candidates d = new RecommendationCandidates.Candidates(
                new String[] {"o1", "x"}, new float[][] {null, bought}, 1);
        assertThat(d.isNew(1)).isFalse();
    }

    @Test
    void recallAndMrrOverAllAndNewItems() {
        RankingMetrics m = new RankingMetrics(3);
        m.add(List.of("a", "b", "c", "d"), Set.of("b", "d"), Set.of("b"));
        m.add(List.of("x", "y", "z"), Set.of("z"), Set.of());
        assertThat(m.recall()).isEqualTo((0.5 + 1.0) / 2);
        assertThat(m.mrr()).isEqualTo((0.5 + 1.0 / 3) / 2);
        // new items: first basket has d (not in the top 3), second z at rank 3
        assertThat(m.newItemRecall()).isEqualTo((0.0 + 1.0) / 2);
        assertThat(m.newItemMrr()).isEqualTo((0.0 + 1.0 / 3) / 2);
    }

    @Test
    void aGatedBaselineMovesItsNextItemsUpInPlaceOfTheHeldBack() {
        // one order a day of one item each, x1 .. x21: the repeat baseline ranks x21 first, x1 21st
        List<UserEvent> events = new ArrayList<>();
        long day = 86_400_000L;
        for (int i = 1; i <= 21; i++) {
            events.add(line("a", "x" + i, i * day));
        }
        long cut = 30 * day;
        events.add(line("a", "x1", 31 * day));

        Map<String, RankingMetrics> every = RecommenderTrainer.baselines(events, cut, item -> !item.equals("x21"))
                .get("every_order_after_cut");

        assertThat(every.get("repeat_then_popular").recall()).as("x1 is 21st").isZero();
        assertThat(every.get("repeat_then_popular_gated").recall()).as("x1 moved up to 20th").isEqualTo(1.0);
        assertThat(every.get("repeat_then_popular_gated").mrr()).isEqualTo(1.0 / 20);
    }

    private static UserEvent line(String customer, String item, long time) {
        return UserEvent.newBuilder().setEventId(customer + item + time).setUserId(customer)
                .setEventType(EventType.PURCHASE).setEventTime(time).setItemId(item).setPrice(1.0).setQuantity(1)
                .setSessionId(customer + time).build();
    }

    @Test
    void stateTypesArePojos() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ItemNeighbors.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(TopItems.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(CooccurrenceUpdate.class);
    }
}
