package io.personalize.udfs.control;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.DeadLetter;
import io.personalize.udfs.ingest.RouteDeadLetters;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Commands the job can carry out go on (keyed by user downstream); undecodable control records
 * become dead letters, and commands it cannot carry out (unknown, or a user command without a user)
 * are refused on the audit output with the reason.
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
        } else if (control.getCommand() == ControlCommand.ERASE_USER
                && (control.getUserId() == null || control.getUserId().isEmpty())) {
            problem = "ERASE_USER without a userId; nothing erased";
        } else if (control.getCommand() != ControlCommand.ERASE_USER) {
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
