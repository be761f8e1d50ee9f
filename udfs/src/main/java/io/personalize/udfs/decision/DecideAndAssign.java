package io.personalize.udfs.decision;

import io.personalize.schema.Action;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.udfs.control.AuditRecords;
import io.personalize.schema.ExperimentAssignment;
import io.personalize.schema.ModelScore;
import io.personalize.schema.ModelStatus;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.experiment.Experiment;
import io.personalize.udfs.features.StateExpiry;
import io.personalize.udfs.model.ModelResult;
import io.personalize.udfs.model.ScoredEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed by user: puts the user in the experiment (GrowthBook-compatible, sticky in state, one
 * exposure per user and experiment on a side output) and makes the decision for the variant.
 * Variation 0 is control: the non-personalized default. An ERASE_USER command on the second input
 * deletes the user's assignments at once and is audited.
 */
public class DecideAndAssign extends KeyedCoProcessFunction<String, ScoredEvent, ControlEvent, PersonalizationDecision> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecideAndAssign.class);

    public static final OutputTag<ExperimentAssignment> ASSIGNMENTS = new OutputTag<>("assignments") {};
    public static final String ASSIGNMENT_STATE = "experiment-assignments";
    public static final String COMPONENT = "decide-and-assign";

    private final Experiment experiment;
    private final DecisionPolicy policy;
    private final String modelsDir;

    private transient PopularItems popular;
    private transient MapState<String, Integer> assignments;
    private transient Map<Action, Counter> decisionsByAction;
    private transient Counter fallbacks;
    private transient Counter exposures;

    private final Duration stateTtl;

    public DecideAndAssign(Experiment experiment, DecisionPolicy policy, String modelsDir, Duration stateTtl) {
        this.experiment = experiment;
        this.policy = policy;
        this.modelsDir = modelsDir;
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        MapStateDescriptor<String, Integer> descriptor =
                new MapStateDescriptor<>(ASSIGNMENT_STATE, Types.STRING, Types.INT);
        // expires with the user's features: a user idle for the whole TTL starts afresh
        StateExpiry.apply(descriptor, stateTtl, StateTtlConfig.UpdateType.OnReadAndWrite);
        assignments = getRuntimeContext().getMapState(descriptor);
        try {
            popular = PopularItems.load(Path.of(modelsDir));
        } catch (Exception e) {
            LOG.error("No popularity ranking in {}: non-personalized decisions will have no items", modelsDir, e);
            popular = PopularItems.empty();
        }
        decisionsByAction = new EnumMap<>(Action.class);
        for (Action action : Action.values()) {
            decisionsByAction.put(action, getRuntimeContext().getMetricGroup()
                    .addGroup("action", action.name()).counter("decisions"));
        }
        fallbacks = getRuntimeContext().getMetricGroup().counter("fallbackDecisions");
        exposures = getRuntimeContext().getMetricGroup().counter("exposures");
    }

    @Override
    public void processElement2(ControlEvent control, Context ctx, Collector<PersonalizationDecision> out)
            throws Exception {
        if (control.getCommand() != ControlCommand.ERASE_USER) {
            return;
        }
        boolean held = !assignments.isEmpty();
        assignments.clear();
        ctx.output(AuditRecords.AUDIT, AuditRecords.of(AuditRecords.USER_ERASED, COMPONENT, control,
                held ? "deleted the user's experiment assignments" : "no experiment assignments were held for the user"));
    }

    @Override
    public void processElement1(ScoredEvent scored, Context ctx, Collector<PersonalizationDecision> out)
            throws Exception {
        UserEvent event = scored.input.event;
        String userId = event.getUserId();
        Integer variation = assignments.get(experiment.key());
        if (variation != null && variation >= experiment.variations().size()) {
            variation = null; // the experiment lost variations since: assign again
        }
        if (variation == null) {
            int assigned = experiment.assign(userId);
            if (assigned >= 0) {
                variation = assigned;
                assignments.put(experiment.key(), assigned);
                exposures.inc();
                ctx.output(ASSIGNMENTS, ExperimentAssignment.newBuilder()
                        .setAssignmentId(uuid("assignment/" + experiment.key() + "/" + userId))
                        .setExperimentId(experiment.key())
                        .setUserId(userId)
                        .setVariationIndex(assigned)
                        .setVariant(experiment.variations().get(assigned))
                        .setHashVersion(experiment.hashVersion())
                        .setBucket(experiment.bucketOf(userId))
                        .setTriggerEventId(event.getEventId())
                        .setEventTime(event.getEventTime())
                        .setAssignedAt(System.currentTimeMillis())
                        .build());
            }
        }
        // like GrowthBook: a user outside the experiment (coverage, namespace) gets control's behaviour
        boolean personalize = variation != null && variation != 0;
        DecisionPolicy.Outcome outcome = policy.decide(scored, personalize, popular);

        List<ModelScore> modelScores = new ArrayList<>(scored.models.length);
        for (ModelResult r : scored.models) {
            if (r.notApplicable) {
                continue; // e.g. sentiment for an event without text
            }
            modelScores.add(new ModelScore(r.model, r.version, r.isOk() ? (double) r.score : null, r.status,
                    r.latencyMicros));
        }
        if (!outcome.items.isEmpty() && outcome.items.get(outcome.items.size() - 1).getSource()
                .equals(DecisionPolicy.SOURCE_POPULAR)) {
            modelScores.add(new ModelScore(PopularItems.MODEL_NAME, popular.version(), null,
                    ModelStatus.OK, 0L));
        }
        decisionsByAction.get(outcome.action).inc();
        if (outcome.fallback) {
            fallbacks.inc();
        }
        out.collect(PersonalizationDecision.newBuilder()
                .setDecisionId(uuid("decision/" + event.getEventId()))
                .setUserId(userId)
                .setTriggerEventId(event.getEventId())
                .setTriggerEventType(event.getEventType().name())
                .setEventTime(event.getEventTime())
                .setDecidedAt(System.currentTimeMillis())
                .setAction(outcome.action)
                .setItems(outcome.items)
                .setModelScores(modelScores)
                .setExperimentId(variation == null ? null : experiment.key())
                .setVariant(variation == null ? null : experiment.variations().get(variation))
                .setReasons(outcome.reasons)
                .setFallback(outcome.fallback)
                .setFallbackReason(outcome.fallbackReason)
                .build());
    }

    static String uuid(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
