package io.personalize.udfs.control;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.DeadLetter;
import io.personalize.udfs.experiment.ExperimentCommands;
import io.personalize.udfs.experiment.LiveExperiment;
import io.personalize.udfs.ingest.RouteDeadLetters;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Commands the job can carry out go on (user commands keyed by user downstream, model and
 * experiment commands broadcast); undecodable control records become dead letters, and commands it
 * cannot carry out (unknown, or missing what they need) are refused on the audit output with the reason.
 */
public class RouteControlCommands extends ProcessFunction<DecodedControl, ControlEvent> {
    private static final long serialVersionUID = 1L;
    public static final String COMPONENT = "route-control";
    public static final OutputTag<DeadLetter> DEAD_LETTERS = RouteDeadLetters.DEAD_LETTERS;

    private transient Counter accepted;
    private transient Counter rejected;

    @Override
    public void open(OpenContext openContext) {
        accepted = getRuntimeContext().getMetricGroup().counter("controlCommandsAccepted");
        rejected = getRuntimeContext().getMetricGroup().counter("controlCommandsRejected");
    }

    @Override
    public void processElement(DecodedControl decoded, Context ctx, Collector<ControlEvent> out) {
        if (decoded.control == null) {
            rejected.inc();
            ctx.output(DEAD_LETTERS, decoded.deadLetter);
            return;
        }
        ControlEvent control = decoded.control;
        String problem = null;
        if (control.getCommand() == ControlCommand.UNKNOWN) {
            problem = "unknown command (written by a newer producer?); ignored";
        } else if (isUserCommand(control)) {
            if (blank(control.getUserId())) {
                problem = control.getCommand() + " without a userId; nothing done";
            }
        } else if (ExperimentCommands.isExperimentCommand(control)) {
            problem = experimentCommandProblem(control);
        } else if (control.getCommand() == ControlCommand.BANDIT_UPDATE) {
            problem = control.getBanditStatistics() == null ? "BANDIT_UPDATE without statistics; nothing changed" : null;
        } else {
            problem = modelCommandProblem(control);
        }
        if (problem != null) {
            rejected.inc();
            ctx.output(AuditRecords.AUDIT, AuditRecords.of(AuditRecords.CONTROL_REJECTED, COMPONENT, control, problem));
            return;
        }
        accepted.inc();
        out.collect(control);
    }

    /** Commands about one user: they go to the user's keyed state. */
    public static boolean isUserCommand(ControlEvent control) {
        ControlCommand c = control.getCommand();
        return c == ControlCommand.ERASE_USER || c == ControlCommand.OPT_OUT || c == ControlCommand.OPT_IN;
    }

    private static String experimentCommandProblem(ControlEvent control) {
        if (control.getCommand() == ControlCommand.START_EXPERIMENT) {
            if (control.getExperiment() == null) {
                return "START_EXPERIMENT without an experiment definition; nothing changed";
            }
            try {
                LiveExperiment.of(control.getExperiment(), 0);
            } catch (IllegalArgumentException e) {
                return "START_EXPERIMENT: " + e.getMessage() + "; nothing changed";
            }
            return null;
        }
        if (blank(control.getExperimentKey())) {
            return control.getCommand() + " without an experimentKey; nothing changed";
        }
        if (control.getCommand() == ControlCommand.STOP_VARIANT && blank(control.getVariant())) {
            return "STOP_VARIANT without a variant; nothing changed";
        }
        if (control.getCommand() == ControlCommand.SET_EXPERIMENT_WEIGHTS && control.getWeights().isEmpty()) {
            return "SET_EXPERIMENT_WEIGHTS without weights; nothing changed";
        }
        return null;
    }

    private static String modelCommandProblem(ControlEvent control) {
        if (blank(control.getModelName())) {
            return control.getCommand() + " without a modelName; nothing changed";
        }
        if (control.getCommand() != ControlCommand.STOP_SHADOW && (blank(control.getModelVersion())
                || blank(control.getModelLocation()) || blank(control.getModelSha256()))) {
            return control.getCommand() + " needs modelVersion, modelLocation and modelSha256; nothing changed";
        }
        return null;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
