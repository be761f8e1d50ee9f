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
}
