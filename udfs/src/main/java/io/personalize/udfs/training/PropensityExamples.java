package io.personalize.udfs.training;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Point-in-time training examples for purchase propensity: after each order of a customer, the
 * features known at that moment (computed by the serving code, {@link OfflineFeatures}), labelled
 * with whether the same customer orders again within the horizon. Only examples whose whole label
 * window lies inside the data are kept.
 */
public final class PropensityExamples {
    public final List<float[]> rows = new ArrayList<>();
    public final List<Float> labels = new ArrayList<>();
    public final List<Long> times = new ArrayList<>();

    private PropensityExamples() {}

    public static PropensityExamples build(List<UserEvent> eventsInTimeOrder, long horizonMs) {
        Map<String, long[]> orderTimes = orderTimesByUser(eventsInTimeOrder);
        long dataEnd = eventsInTimeOrder.get(eventsInTimeOrder.size() - 1).getEventTime();
        PropensityExamples examples = new PropensityExamples();
        OfflineFeatures.replay(eventsInTimeOrder, (i, e, features, vector) -> {
            if (e.getEventType() != EventType.PURCHASE || !CustomerOrders.endsOrder(eventsInTimeOrder, i)) {
                return;
            }
            long t = e.getEventTime();
            if (t + horizonMs > dataEnd) {
                return;
            }
            examples.rows.add(vector);
            examples.labels.add(ordersAgainWithin(orderTimes.get(e.getUserId()), t, horizonMs) ? 1f : 0f);
            examples.times.add(t);
        });
        return examples;
    }

    private static Map<String, long[]> orderTimesByUser(List<UserEvent> events) {
        Map<String, long[]> times = new HashMap<>();
        CustomerOrders.byUser(events).forEach((user, orders) -> {
            long[] t = orders.stream().mapToLong(CustomerOrders.Order::time).toArray();
            Arrays.sort(t);
            times.put(user, t);
        });
        return times;
    }

    public static boolean ordersAgainWithin(long[] orderTimes, long t, long horizonMs) {
        int i = Arrays.binarySearch(orderTimes, t + 1);
        int next = i >= 0 ? i : -i - 1;
        return next < orderTimes.length && orderTimes[next] <= t + horizonMs;
    }

    public int size() {
        return rows.size();
    }
}
