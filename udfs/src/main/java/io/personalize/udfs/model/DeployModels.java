package io.personalize.udfs.model;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.udfs.control.AuditRecords;
import io.personalize.udfs.features.FeaturizedEvent;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model commands from the control topic (DEPLOY_MODEL, SHADOW_MODEL, STOP_SHADOW), validated once
 * here, kept in broadcast state (so they survive restarts and failovers) and stamped onto every
 * event: each scoring subtask switches when the stamp it sees changes, so all events after the
 * command, and none before it, are scored by the new version. A version that is missing, corrupt
 * (checksum), incompatible (its features are not the ones the job computes) or not servable is
 * rejected, audited with the reason, and the old version stays.
 */
public class DeployModels extends BroadcastProcessFunction<FeaturizedEvent, ControlEvent, FeaturizedEvent> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DeployModels.class);
    public static final String COMPONENT = "deploy-models";
    public static final String MODEL_DEPLOYED = "MODEL_DEPLOYED";
    public static final String MODEL_SHADOWED = "MODEL_SHADOWED";
    public static final String SHADOW_STOPPED = "SHADOW_STOPPED";
    public static final String MODEL_REJECTED = "MODEL_REJECTED";

    public static final MapStateDescriptor<String, ModelDeployment> DEPLOYMENTS = new MapStateDescriptor<>(
            "model-deployments", Types.STRING, TypeInformation.of(ModelDeployment.class));

    private final HashMap<String, List<String>> featuresByModel;
    private transient String stamp;
    private transient boolean stampRead;
    private transient Counter deployed;
    private transient Counter rejected;

    /** {@code featuresByModel}: the models that can be swapped, with the features the job computes for each. */
    public DeployModels(Map<String, List<String>> featuresByModel) {
        this.featuresByModel = new HashMap<>(featuresByModel);
    }

    public static boolean isModelCommand(ControlEvent control) {
        ControlCommand c = control.getCommand();
        return c == ControlCommand.DEPLOY_MODEL || c == ControlCommand.SHADOW_MODEL || c == ControlCommand.STOP_SHADOW;
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext openContext) {
        deployed = getRuntimeContext().getMetricGroup().counter("modelCommandsApplied");
        rejected = getRuntimeContext().getMetricGroup().counter("modelCommandsRejected");
    }

    @Override
    public void processElement(FeaturizedEvent event, ReadOnlyContext ctx, Collector<FeaturizedEvent> out)
            throws Exception {
        if (!stampRead) { // after a restore: the broadcast state came back, the stamp is rebuilt once
            restamp(ctx.getBroadcastState(DEPLOYMENTS).immutableEntries());
        }
        out.collect(event.withModelDeployments(stamp));
    }

    @Override
    public void processBroadcastElement(ControlEvent control, Context ctx, Collector<FeaturizedEvent> out)
            throws Exception {
        if (!isModelCommand(control)) {
            return;
        }
        BroadcastState<String, ModelDeployment> state = ctx.getBroadcastState(DEPLOYMENTS);
        String model = control.getModelName();
        String outcome;
        String kind;
        try {
            ModelDeployment deployment = state.get(model);
            if (deployment == null) {
                deployment = new ModelDeployment();
                deployment.model = model;
            }
            if (control.getCommand() == ControlCommand.STOP_SHADOW) {
                outcome = deployment.shadow == null ? "no shadow version was running" :
                        "stopped shadow version " + deployment.shadow.version;
                deployment.shadow = null;
                kind = SHADOW_STOPPED;
            } else {
                ModelDeployment.Version version = validate(control);
                if (control.getCommand() == ControlCommand.DEPLOY_MODEL) {
                    deployment.live = version;
                    if (version.sameAs(deployment.shadow)) {
                        deployment.shadow = null; // the shadow was promoted
                    }
                    kind = MODEL_DEPLOYED;
                    outcome = "every scoring subtask switches to " + model + "/" + version.version + " from "
                            + version.location;
                } else {
                    deployment.shadow = version;
                    kind = MODEL_SHADOWED;
                    outcome = model + "/" + version.version + " scores beside the live version; agreement is on"
                            + " the monitoring topic and the model's shadowAgreement metric";
                }
            }
            state.put(model, deployment);
            restamp(state.entries());
            deployed.inc();
            LOG.info("{} {}: {}", control.getCommand(), model, outcome);
        } catch (Exception e) {
            rejected.inc();
            kind = MODEL_REJECTED;
            outcome = control.getCommand() + " " + model + "/" + control.getModelVersion() + " rejected, the current"
                    + " version stays: " + e.getMessage();
            LOG.warn(outcome);
        }
        if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) { // every subtask did the same
            ctx.output(AuditRecords.AUDIT, AuditRecords.of(kind, COMPONENT, control, outcome));
        }
    }

    private void restamp(Iterable<Map.Entry<String, ModelDeployment>> deployments) {
        Map<String, ModelDeployment> current = new HashMap<>();
        for (var entry : deployments) {
            current.put(entry.getKey(), entry.getValue());
        }
        stamp = ModelDeployment.stamp(current);
        stampRead = true;
    }

        private ModelDeployment.Version validate(ControlEvent control) throws Exception {
        String model = control.getModelName();
        if (!featuresByModel.containsKey(model)) {
            throw new ModelRejectedException("model '" + model + "' cannot be swapped at run time; these can: "
                    + new java.util.TreeSet<>(featuresByModel.keySet()));
        }
        ModelRegistry.ModelVersion version = ModelRegistry.loadAt(Path.of(control.getModelLocation()), model,
                control.getModelVersion(), control.getModelSha256(), featuresByModel.get(model));
        BatchingScorer.probe(version);
        return ModelDeployment.Version.of(version.version(), version.dir().toString(), version.metadata().sha256,
                control.getRequestId());
    }

}
