package io.personalize.udfs.experiment;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import java.util.Arrays;
import java.util.Map;

/** Applies the control topic's experiment commands to the running experiments. */
public final class ExperimentCommands {
    public static final String EXPERIMENT_STARTED = "EXPERIMENT_STARTED";
    public static final String EXPERIMENT_STOPPED = "EXPERIMENT_STOPPED";
    public static final String WEIGHTS_CHANGED = "EXPERIMENT_WEIGHTS_CHANGED";
    public static final String VARIANT_STOPPED = "VARIANT_STOPPED";

    private ExperimentCommands() {}

    public static boolean isExperimentCommand(ControlEvent control) {
        return isExperimentCommand(control.getCommand());
    }

    public static boolean isExperimentCommand(ControlCommand c) {
        return c == ControlCommand.START_EXPERIMENT || c == ControlCommand.STOP_EXPERIMENT
                || c == ControlCommand.SET_EXPERIMENT_WEIGHTS || c == ControlCommand.STOP_VARIANT;
    }

    /** The experiment after the command, with the audit kind and what changed. */
    public record Applied(LiveExperiment experiment, String kind, String detail) {}

    /**
     * @param current the experiments as they are now, by key (the configured one included)
     * @throws IllegalArgumentException when the command cannot be carried out, with why
     */
    public static Applied apply(ControlEvent control, Map<String, LiveExperiment> current) {
        if (control.getCommand() == ControlCommand.START_EXPERIMENT) {
            if (control.getExperiment() == null) {
                throw new IllegalArgumentException("START_EXPERIMENT without an experiment definition");
            }
            String key = control.getExperiment().getKey();
            LiveExperiment before = current.get(key);
            long sequence = before != null ? before.sequence
                    : current.values().stream().mapToLong(e -> e.sequence).max().orElse(-1) + 1;
            LiveExperiment started = LiveExperiment.of(control.getExperiment(), sequence);
            started.weightsVersion = before == null ? 0 : before.weightsVersion + 1;
            return new Applied(started, EXPERIMENT_STARTED, "running " + started.toExperiment()
                    + (before == null ? "" : "; replaces the earlier definition, assigned users keep their variation"));
        }
        String key = control.getExperimentKey();
        LiveExperiment before = key == null ? null : current.get(key);
        if (before == null) {
            throw new IllegalArgumentException(control.getCommand() + ": no experiment '" + key + "' is known; known: "
                    + current.keySet());
        }
        LiveExperiment after = before.copy();
        switch (control.getCommand()) {
            case STOP_EXPERIMENT -> {
                after.stopped = true;
                return new Applied(after, EXPERIMENT_STOPPED, "stopped " + key + ": everyone gets the default"
                        + reason(control));
            }
            case SET_EXPERIMENT_WEIGHTS -> {
                double[] weights = control.getWeights().stream().mapToDouble(Double::doubleValue).toArray();
                if (weights.length != after.variations.length) {
                    throw new IllegalArgumentException("SET_EXPERIMENT_WEIGHTS " + key + ": " + after.variations.length
                            + " variations but " + weights.length + " weights");
                }
                after.toExperiment().withWeights(weights); // throws on weights that are negative or do not sum to 1
                after.weights = weights;
                after.weightsVersion++;
                return new Applied(after, WEIGHTS_CHANGED, key + " assigns new users by weights "
                        + Arrays.toString(after.effectiveWeights()) + "; assigned users keep their variation");
            }
            case STOP_VARIANT -> {
                int v = control.getVariant() == null ? -1 : after.indexOf(control.getVariant());
                if (v < 0) {
                    throw new IllegalArgumentException("STOP_VARIANT " + key + ": no variant '" + control.getVariant()
                            + "' in " + Arrays.toString(after.variations));
                }
                if (v == 0) {
                    throw new IllegalArgumentException("STOP_VARIANT " + key + ": '" + control.getVariant()
                            + "' is control, the default; stop the experiment instead");
                }
                if (after.stoppedVariants[v]) {
                    return new Applied(after, VARIANT_STOPPED, control.getVariant() + " of " + key + " was already stopped");
                }
                after.stoppedVariants[v] = true;
                after.stopReasons[v] = control.getReason() == null ? "stopped by " + control.getRequestedBy()
                        : control.getReason();
                after.weightsVersion++;
                return new Applied(after, VARIANT_STOPPED, control.getVariant() + " of " + key
                        + " stopped: its users get control's behaviour, nobody new is enrolled in it" + reason(control));
            }
            default -> throw new IllegalArgumentException(control.getCommand() + " is not an experiment command");
        }
    }

    private static String reason(ControlEvent control) {
        return control.getReason() == null ? "" : "; reason: " + control.getReason();
    }
}
