package io.personalize.udfs.training;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Purchases grouped into orders: consecutive PURCHASE events of a customer with the same session
 * (invoice) are one order, timed by its first line. What the propensity, churn and recommendation
 * labels and the backtest all count as "the next order".
 */
public final class CustomerOrders {
    /** One order: when it was placed and the items in it. */
    public record Order(long time, Set<String> items) {}

    private CustomerOrders() {}

    /** Each customer's orders, in the events' (time) order. */
    public static Map<String, List<Order>> byUser(List<UserEvent> eventsInTimeOrder) {
        Map<String, List<Order>> orders = new HashMap<>();
        Map<String, String> lastSession = new HashMap<>();
        for (UserEvent e : eventsInTimeOrder) {
            if (e.getEventType() != EventType.PURCHASE) {
                continue;
            }
            String session = e.getSessionId() != null ? e.getSessionId() : Long.toString(e.getEventTime());
            List<Order> userOrders = orders.computeIfAbsent(e.getUserId(), u -> new ArrayList<>());
            if (!Objects.equals(session, lastSession.put(e.getUserId(), session))) {
                userOrders.add(new Order(e.getEventTime(), new HashSet<>()));
            }
            if (e.getItemId() != null) {
                userOrders.get(userOrders.size() - 1).items().add(e.getItemId());
            }
        }
        return orders;
    }

    /** True when event {@code i} is the last line of its order (the next event is not a line of the same order). */
    public static boolean endsOrder(List<UserEvent> events, int i) {
        if (i + 1 >= events.size()) {
            return true;
        }
        UserEvent e = events.get(i);
        UserEvent next = events.get(i + 1);
        return !(next.getUserId().equals(e.getUserId()) && next.getEventType() == EventType.PURCHASE
                && Objects.equals(next.getSessionId(), e.getSessionId()));
    }
}
