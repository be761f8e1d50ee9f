package io.personalize.udfs.features;

import static io.personalize.udfs.TestEvents.DAY;
import static io.personalize.udfs.TestEvents.T0;
import static io.personalize.udfs.TestEvents.of;
import static io.personalize.udfs.TestEvents.purchase;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureUpdaterTest {
    @Test
    void countsOrdersSpendAndRecency() {
        UserFeatures f = new UserFeatures();
        FeatureUpdater.apply(f, purchase("u", "a", T0, 2.0, 3, "o1"));
        FeatureUpdater.apply(f, purchase("u", "b", T0, 1.0, 1, "o1"));
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "c", T0 + DAY));
        FeatureUpdater.apply(f, purchase("u", "c", T0 + 10 * DAY, 5.0, 2, "o2"));

        assertThat(f.orders).isEqualTo(2);
        assertThat(f.countByType[EventType.PURCHASE.ordinal()]).isEqualTo(3);
        assertThat(f.countByType[EventType.VIEW.ordinal()]).isEqualTo(1);
        assertThat(f.totalSpend).isEqualTo(17.0);
        assertThat(f.lastOrderGap).isEqualTo(10 * DAY);
        assertThat(f.firstEventTime).isEqualTo(T0);
        assertThat(f.lastEventTime).isEqualTo(T0 + 10 * DAY);
        assertThat(f.recentItems).containsExactly("c", "b", "a");

        float[] v = FeatureVector.of(f, T0 + 10 * DAY);
        assertThat(v).hasSize(FeatureVector.SIZE);
        assertThat(v[FeatureVector.NAMES.indexOf("orders")]).isEqualTo(2f);
        assertThat(v[FeatureVector.NAMES.indexOf("avg_order_value")]).isEqualTo(8.5f);
        assertThat(v[FeatureVector.NAMES.indexOf("days_since_first_event")]).isEqualTo(10f);
        assertThat(v[FeatureVector.NAMES.indexOf("days_since_previous_order")]).isEqualTo(0f);
    }

    @Test
    void nonFiniteFeaturesBecomeMissing() {
        UserFeatures f = new UserFeatures();
        FeatureUpdater.apply(f, purchase("u", "a", T0, 1.0, 1, "o1"));
        f.totalSpend = Double.MAX_VALUE; // would be +Infinity as a float
        float[] v = FeatureVector.of(f, T0);
        assertThat(v[FeatureVector.NAMES.indexOf("total_spend")]).isNaN();
        assertThat(v[FeatureVector.NAMES.indexOf("orders")]).isEqualTo(1f);
    }

    @Test
    void decayedSpendHalvesEveryHalfLife() {
        UserFeatures f = new UserFeatures();
        FeatureUpdater.apply(f, purchase("u", "a", T0, 10.0, 1, "o1"));
        float[] later = FeatureVector.of(f, T0 + FeatureUpdater.DECAY_HALF_LIFE_MS);
        assertThat(later[FeatureVector.NAMES.indexOf("decayed_spend")]).isCloseTo(5f, within(1e-4f));
        assertThat(later[FeatureVector.NAMES.indexOf("decayed_orders")]).isCloseTo(0.5f, within(1e-6f));
    }

    @Test
    void affinityIsSortedBoundedAndFavoursPurchases() {
        UserFeatures f = new UserFeatures();
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "viewed", T0));
        FeatureUpdater.apply(f, purchase("u", "bought", T0, 1.0, 1, "o1"));
        FeatureUpdater.apply(f, of(EventType.CLICK, "u", "clicked", T0));
        assertThat(f.affinityItems).containsExactly("bought", "clicked", "viewed");
        for (int i = 0; i < 100; i++) {
            FeatureUpdater.apply(f, of(EventType.VIEW, "u", "item-" + i, T0 + i));
        }
        assertThat(f.affinityItems).hasSize(FeatureUpdater.MAX_AFFINITY_ITEMS).contains("bought");
        assertThat(f.affinityItems[0]).isEqualTo("bought");
        for (int i = 1; i < f.affinityScores.length; i++) {
            assertThat(f.affinityScores[i]).isLessThanOrEqualTo(f.affinityScores[i - 1]);
        }
        assertThat(f.recentItems).hasSize(FeatureUpdater.MAX_RECENT_ITEMS);
        assertThat(f.recentItems[0]).isEqualTo("item-99");
    }

    @Test
    void outOfOrderEventsGiveTheSameSumsAsInOrder() {
        List<UserEvent> events = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            events.add(purchase("u", "i" + (i % 4), T0 + i * 3 * DAY, 1.0 + i, 1, "o" + i));
        }
        UserFeatures inOrder = new UserFeatures();
        events.forEach(e -> FeatureUpdater.apply(inOrder, e));
        List<UserEvent> shuffled = new ArrayList<>(events);
        Collections.shuffle(shuffled, new java.util.Random(3));
        UserFeatures outOfOrder = new UserFeatures();
        shuffled.forEach(e -> FeatureUpdater.apply(outOfOrder, e));

        long now = T0 + 60 * DAY;
        float[] a = FeatureVector.of(inOrder, now);
        float[] b = FeatureVector.of(outOfOrder, now);
        for (String exact : List.of("orders", "purchase_lines", "total_spend", "days_since_first_event",
                "days_since_previous_order", "distinct_affinity_items")) {
            int i = FeatureVector.NAMES.indexOf(exact);
            assertThat(b[i]).as(exact).isEqualTo(a[i]);
        }
        for (String decayed : List.of("decayed_spend", "decayed_orders")) {
            int i = FeatureVector.NAMES.indexOf(decayed);
            assertThat(b[i]).as(decayed).isCloseTo(a[i], within(1e-3f * Math.max(1, a[i])));
        }
        assertThat(outOfOrder.affinityItems).containsExactlyInAnyOrder(inOrder.affinityItems);
    }

    private static final long MINUTE = 60_000L;

    private static float at(UserFeatures f, long now, String name) {
        return FeatureVector.get(FeatureVector.of(f, now), name);
    }

    @Test
    void slidingWindowsCountAndSumPerTypeAndForgetOldBuckets() {
        UserFeatures f = new UserFeatures();
        long t = T0 - Math.floorMod(T0, DAY); // midnight: every window's buckets are aligned here
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "a", t));
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "b", t + 2 * MINUTE));
        FeatureUpdater.apply(f, purchase("u", "a", t + 3 * MINUTE, 2.5, 2, "o1"));
        FeatureUpdater.apply(f, of(EventType.ADD_TO_CART, "u", "c", t + 3 * MINUTE));

        long now = t + 4 * MINUTE;
        assertThat(at(f, now, "view_count_5m")).isEqualTo(2f);
        assertThat(at(f, now, "purchase_count_5m")).isEqualTo(1f);
        assertThat(at(f, now, "purchase_value_5m")).isEqualTo(5f);
        assertThat(at(f, now, "add_to_cart_count_1h")).isEqualTo(1f);
        assertThat(at(f, now, "cart_value_1h")).isEqualTo(0f); // the test cart event has no price
        assertThat(at(f, now, "distinct_view_items_5m")).isBetween(1.5f, 2.5f);
        // read later, without new events: the 5m window has moved past them, the 1h has not
        assertThat(at(f, t + 20 * MINUTE, "view_count_5m")).isZero();
        assertThat(at(f, t + 20 * MINUTE, "view_count_1h")).isEqualTo(2f);
        assertThat(at(f, t + 2 * DAY, "view_count_24h")).isZero();
        assertThat(at(f, t + 2 * DAY, "view_count_7d")).isEqualTo(2f);
        assertThat(at(f, t + 40 * DAY, "view_count_30d")).isZero();

        // a new event days later drops the buckets that left their windows
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "d", t + 10 * DAY));
        assertThat(at(f, t + 10 * DAY, "view_count_30d")).isEqualTo(3f);
        assertThat(at(f, t + 10 * DAY, "view_count_7d")).isEqualTo(1f);
        for (long key : f.bucketKeys) {
            int w = FeatureWindows.windowOf(key);
            assertThat(FeatureWindows.bucketOfKey(key))
                    .isGreaterThanOrEqualTo(FeatureWindows.oldestHeld(w, f.windowNewestBucket[w]));
        }
    }

    @Test
    void stateStaysBoundedWhateverTheUserDoes() {
        UserFeatures f = new UserFeatures();
        java.util.Random random = new java.util.Random(7);
        EventType[] types = EventType.values();
        for (int i = 0; i < 200_000; i++) {
            UserEvent e = of(types[random.nextInt(types.length)], "u", "item-" + random.nextInt(5000),
                    T0 + i * 20_000L); // every 20 s for 46 days
            e.setCategory("cat-" + random.nextInt(100));
            FeatureUpdater.apply(f, e);
        }
        assertThat(f.bucketKeys).hasSizeLessThanOrEqualTo(FeatureWindows.MAX_BUCKETS);
        assertThat(f.bucketCounts).hasSize(f.bucketKeys.length * types.length);
        assertThat(f.affinityItems).hasSize(FeatureUpdater.MAX_AFFINITY_ITEMS);
        assertThat(f.affinityCategories).hasSize(FeatureUpdater.MAX_AFFINITY_CATEGORIES);
        assertThat(f.recentItems).hasSize(FeatureUpdater.MAX_RECENT_ITEMS);
        assertThat(f.recentPurchases).hasSize(FeatureUpdater.MAX_RECENT_ITEMS);
        assertThat(f.purchasedItems).hasSize(FeatureUpdater.MAX_PURCHASED_ITEMS);
        assertThat(f.purchasedCounts).hasSize(FeatureUpdater.MAX_PURCHASED_ITEMS);
        assertThat(f.purchasedHours).hasSize(FeatureUpdater.MAX_PURCHASED_ITEMS);
        assertThat(f.purchasedItemBits).hasSize(PurchasedItems.BITS / 64);
        long now = f.lastEventTime;
        // an event every 20 s: 15 in the 5m window, 180 in 1h, 4,320 in 24h (the bucket holding now may be partial)
        float all5m = 0;
        for (EventType type : types) {
            all5m += at(f, now, type.name().toLowerCase(java.util.Locale.ROOT) + "_count_5m");
        }
        assertThat(all5m).isBetween(12f, 15f);
        assertThat(at(f, now, "distinct_view_items_30d")).as("the sketch saturates, bounded").isBetween(30f, 45f);
    }

    @Test
    void categoryAffinityAndRecentPurchases() {
        UserFeatures f = new UserFeatures();
        UserEvent mug = purchase("u", "mug", T0, 1.0, 1, "o1");
        mug.setCategory("kitchen");
        UserEvent lamp = of(EventType.VIEW, "u", "lamp", T0 + 1);
        lamp.setCategory("lighting");
        FeatureUpdater.apply(f, mug);
        FeatureUpdater.apply(f, lamp);
        FeatureUpdater.apply(f, purchase("u", "cup", T0 + 2, 1.0, 3, "o2"));
        assertThat(f.affinityCategories).containsExactly("kitchen", "lighting");
        assertThat(f.categoryScores[0]).isGreaterThan(f.categoryScores[1]);
        assertThat(f.recentPurchases).containsExactly("cup", "mug");
        assertThat(f.recentItems).containsExactly("cup", "lamp", "mug");
        assertThat(at(f, T0 + 2, "avg_units_per_order")).isEqualTo(2f);
        assertThat(at(f, T0 + 2, "distinct_affinity_categories")).isEqualTo(2f);
    }

    @Test
    void mostBoughtItemsAreKeptByCountThenRecencyAndTheFilterTellsRepeatsFromNewItems() {
        UserFeatures f = new UserFeatures();
        long hour = 3_600_000L;
        FeatureUpdater.apply(f, purchase("u", "mug", T0, 1.0, 1, "o1"));
        FeatureUpdater.apply(f, purchase("u", "cup", T0 + hour, 1.0, 1, "o2"));
        FeatureUpdater.apply(f, purchase("u", "mug", T0 + 2 * hour, 1.0, 1, "o3"));
        FeatureUpdater.apply(f, purchase("u", "jug", T0 + 3 * hour, 1.0, 1, "o4"));
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "lamp", T0 + 4 * hour));
        assertThat(f.purchasedItems).containsExactly("mug", "jug", "cup"); // jug ties cup, bought later
        assertThat(f.purchasedCounts).containsExactly(2, 1, 1);
        assertThat(f.purchasedHours).containsExactly((int) ((T0 + 2 * hour) / hour), (int) ((T0 + 3 * hour) / hour),
                (int) ((T0 + hour) / hour));
        assertThat(f.repeatPurchaseLines).isEqualTo(1);
        assertThat(f.distinctPurchasedItems).isEqualTo(3);
        assertThat(PurchasedItems.mightContain(f.purchasedItemBits, "cup")).isTrue();
        assertThat(PurchasedItems.mightContain(f.purchasedItemBits, "lamp")).as("viewed, not bought").isFalse();

        // beyond the bound a new item takes the last place (least bought, least recent); the filter keeps every item
        for (int i = 0; i < FeatureUpdater.MAX_PURCHASED_ITEMS; i++) {
            FeatureUpdater.apply(f, purchase("u", "item-" + i, T0 + (5 + i) * hour, 1.0, 1, "p" + i));
        }
        assertThat(f.purchasedItems).hasSize(FeatureUpdater.MAX_PURCHASED_ITEMS).startsWith("mug", "item-49")
                .endsWith("item-1").doesNotContain("cup", "jug", "item-0");
        assertThat(f.distinctPurchasedItems).isEqualTo(3 + FeatureUpdater.MAX_PURCHASED_ITEMS);
        assertThat(PurchasedItems.mightContain(f.purchasedItemBits, "cup")).isTrue();
    }

    @Test
    void sessionsSplitOnThirtyMinutesOfInactivity() {
        UserFeatures f = new UserFeatures();
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "a", T0));
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "b", T0 + 10 * MINUTE));
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "c", T0 + 20 * MINUTE));
        assertThat(at(f, T0 + 20 * MINUTE, "session_events")).isEqualTo(3f);
        assertThat(at(f, T0 + 20 * MINUTE, "session_minutes")).isEqualTo(20f);
        assertThat(at(f, T0 + 20 * MINUTE, "sessions")).isEqualTo(1f);

        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "d", T0 + 140 * MINUTE)); // 2 h later
        assertThat(at(f, T0 + 140 * MINUTE, "sessions")).isEqualTo(2f);
        assertThat(at(f, T0 + 140 * MINUTE, "session_events")).isEqualTo(1f);
        assertThat(at(f, T0 + 140 * MINUTE, "previous_session_gap_hours")).isEqualTo(2f);
        // an out-of-order event inside the current session extends it backwards
        FeatureUpdater.apply(f, of(EventType.VIEW, "u", "e", T0 + 130 * MINUTE));
        assertThat(at(f, T0 + 140 * MINUTE, "session_events")).isEqualTo(2f);
        assertThat(at(f, T0 + 140 * MINUTE, "session_minutes")).isEqualTo(10f);
        // no session any more after 30 idle minutes
        assertThat(at(f, T0 + 200 * MINUTE, "session_events")).isZero();
        assertThat(at(f, T0 + 140 * MINUTE, "hours_since_last_view")).isZero();
        assertThat(at(f, T0 + 140 * MINUTE, "hours_since_last_purchase")).isEqualTo(-1f);
    }

    @Test
    void textIsHashedIntoUnigramAndBigramSlots() {
        int[] tokens = TextFeatures.hashedTokens("Great mug, GREAT price!");
        assertThat(tokens).hasSize(7); // 4 words, 3 bigrams
        assertThat(tokens).isSorted();
        assertThat(java.util.Arrays.stream(tokens).boxed().toList())
                .allSatisfy(slot -> assertThat(slot).isBetween(0, TextFeatures.DIMENSIONS - 1));
        assertThat(tokens).contains(TextFeatures.hashedTokens("great MUG"));
        assertThat(TextFeatures.hashedTokens(null)).isEmpty();
        assertThat(TextFeatures.hashedTokens("  ,, ")).isEmpty();
        assertThat(TextFeatures.hashedTokens("word ".repeat(1000))).hasSize(TextFeatures.MAX_TOKENS - 1);
    }
}
