package io.personalize.udfs.experiment;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The experiments that assign users now, in the order they are evaluated: the configured one
 * (unless the control topic replaced or stopped it) and those started on the control topic.
 */
public final class RunningExperiments {
    /** One running experiment and the GrowthBook assignment new users get from it. */
    public record Running(LiveExperiment live, Experiment assigner) {}

    private final List<Running> running;

    private RunningExperiments(List<Running> running) {
        this.running = running;
    }

    /** Every known experiment by key, running or stopped: the configured one, overridden by the control topic's. */
    public static Map<String, LiveExperiment> known(Experiment configured, Iterable<Map.Entry<String, LiveExperiment>> commanded) {
        Map<String, LiveExperiment> all = new HashMap<>();
        if (configured != null) {
            all.put(configured.key(), LiveExperiment.of(configured, 0));
        }
        for (Map.Entry<String, LiveExperiment> entry : commanded) {
            all.put(entry.getKey(), entry.getValue());
        }
        return all;
    }

    public static RunningExperiments of(Map<String, LiveExperiment> known) {
        List<Running> running = new ArrayList<>();
        known.values().stream()
                .filter(e -> !e.stopped)
                .sorted(Comparator.comparingLong((LiveExperiment e) -> e.sequence).thenComparing(e -> e.key))
                .forEach(e -> running.add(new Running(e, e.toExperiment())));
        return new RunningExperiments(running);
    }

    public List<Running> inOrder() {
        return running;
    }
}
