package io.personalize.udfs.metrics;

import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * One counter per value of an enum, each in a key-value metric group: {@code <label>=<value>} in the
 * web UI's metric names, a label of one series per value in Prometheus
 * ({@code flink_taskmanager_job_task_operator_<label>_<counter>{<label>="<value>",...}}). All are
 * registered up front, so every series exists (at 0) from the start and their number is bounded.
 */
public final class LabeledCounters {
    private LabeledCounters() {}

    public static <E extends Enum<E>> Map<E, Counter> register(MetricGroup group, Class<E> values, String label,
            String counter) {
        Map<E, Counter> counters = new EnumMap<>(values);
        for (E value : values.getEnumConstants()) {
            counters.put(value, group.addGroup(label, value.name()).counter(counter));
        }
        return counters;
    }
}
