package io.personalize.udfs.decision;

import io.personalize.schema.Action;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.DecisionAudit;
import io.personalize.schema.EventType;
import io.personalize.schema.ExperimentAssignment;
import io.personalize.schema.ModelScore;
import io.personalize.schema.ModelStatus;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.bandit.BanditFeedback;
import io.personalize.udfs.bandit.BanditStatistics;
import io.personalize.udfs.bandit.LearnBandit;
import io.personalize.udfs.bandit.LinearBandit;
import io.personalize.udfs.control.AuditRecords;
import io.personalize.udfs.experiment.Experiment;
import io.personalize.udfs.experiment.ExperimentCommands;
import io.personalize.udfs.experiment.ExperimentMembership;
import io.personalize.udfs.experiment.ExperimentObservation;
import io.personalize.udfs.experiment.LiveExperiment;
import io.personalize.udfs.experiment.RunningExperiments;
import io.personalize.udfs.features.StateExpiry;
import io.personalize.udfs.metrics.LabeledCounters;
import io.personalize.udfs.model.ModelResult;
import io.personalize.udfs.model.ScoredEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.commons.codec.digest.MurmurHash3;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed by user: places the user in the running experiments (GrowthBook-compatible, sticky in
 * state, one exposure per user and experiment on a side output), makes the decision for the
 * variation that governs them, and reports exposures and purchases to the live analysis. The
 * first running experiment that takes a user governs, as GrowthBook's feature rules do; a holdout
 * passes its non-control users on. Variation 0 is control: the non-personalized default.
 * Experiments are started, stopped and re-weighted at run time by control commands on the
 * broadcast input; ERASE_USER on the keyed input deletes the user's assignments and is audited.
 */
public class DecideAndAssign
        extends KeyedBroadcastProcessFunction<String, DecisionInput, ControlEvent, PersonalizationDecision> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecideAndAssign.class);

    public static final OutputTag<ExperimentAssignment> ASSIGNMENTS = new OutputTag<>("assignments") {};
    public static final OutputTag<ExperimentObservation> EXPERIMENT_OBSERVATIONS =
            new OutputTag<>("experiment-observations") {};
    public static final OutputTag<BanditFeedback> BANDIT_FEEDBACK = new OutputTag<>("bandit-feedback") {};
    public static final OutputTag<PersonalizationDecision> FOR_REVIEW = new OutputTag<>("decisions-for-review") {};
    public static final OutputTag<DecisionAudit> DECISION_AUDIT = new OutputTag<>("decision-audit") {};
    public static final MapStateDescriptor<String, LiveExperiment> EXPERIMENTS =
            new MapStateDescriptor<>("experiments", Types.STRING, TypeInformation.of(LiveExperiment.class));
    public static final MapStateDescriptor<String, BanditStatistics> BANDIT =
            new MapStateDescriptor<>("decision-bandit", Types.STRING, TypeInformation.of(BanditStatistics.class));
    public static final String MEMBERSHIP_STATE = "experiment-memberships";
    public static final String HISTORY_STATE = "decision-history";
    public static final String CONSENT_CHANGED = "CONSENT_CHANGED";
    private static final String BANDIT_KEY = "current";
    public static final String COMPONENT = "decide-and-assign";

    private final Experiment configured;
    private final DecisionPolicy policy;
    private final String modelsDir;
    private final Duration stateTtl;

    private transient PopularItems popular;
    private transient ItemGate gate;
    private transient MapState<String, ExperimentMembership> memberships;
    private transient ValueState<DecisionHistory> history;
    private transient RunningExperiments running;
    private transient LinearBandit bandit;
    private transient boolean banditRead;
    private transient Counter banditRewards;
    private transient Map<Action, Counter> decisionsByAction;
    private transient Counter fallbacks;
    private transient Map<DecisionPolicy.Fallback, Counter> fallbacksByReason;
    private transient Counter exposures;

    /** @param configured the experiment of the job's settings, or null: only the control topic's run */
    public DecideAndAssign(Experiment configured, DecisionPolicy policy, String modelsDir, Duration stateTtl) {
        this.configured = configured;
        this.policy = policy;
        this.modelsDir = modelsDir;
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        MapStateDescriptor<String, ExperimentMembership> descriptor =
                new MapStateDescriptor<>(MEMBERSHIP_STATE, Types.STRING, TypeInformation.of(ExperimentMembership.class));
        // expires with the user's features: a user idle for the whole TTL starts afresh
        StateExpiry.apply(descriptor, stateTtl, StateTtlConfig.UpdateType.OnReadAndWrite);
        memberships = getRuntimeContext().getMapState(descriptor);
        ValueStateDescriptor<DecisionHistory> historyDescriptor = new ValueStateDescriptor<>(HISTORY_STATE,
                TypeInformation.of(DecisionHistory.class));
        StateExpiry.apply(historyDescriptor, stateTtl, StateTtlConfig.UpdateType.OnReadAndWrite);
        history = getRuntimeContext().getState(historyDescriptor);
        try {
            popular = PopularItems.load(Path.of(modelsDir));
        } catch (Exception e) {
            LOG.error("No popularity ranking in {}: non-personalized decisions will have no items", modelsDir, e);
            popular = PopularItems.empty();
        }
        gate = loadGate();
        decisionsByAction = LabeledCounters.register(getRuntimeContext().getMetricGroup(), Action.class, "action",
                "decisions");
        fallbacks = getRuntimeContext().getMetricGroup().counter("fallbackDecisions");
        fallbacksByReason = LabeledCounters.register(getRuntimeContext().getMetricGroup(),
                DecisionPolicy.Fallback.class, "fallbackReason", "fallbackDecisions");
        exposures = getRuntimeContext().getMetricGroup().counter("exposures");
        banditRewards = getRuntimeContext().getMetricGroup().counter("banditRewardsAttributed");
    }

    /** Without the approved catalog or the safety screen every decision fails closed: nothing is shown. */
    private ItemGate loadGate() {
        ItemGate loaded = ItemGate.load(Path.of(modelsDir));
        if (loaded.unavailable() != null) {
            LOG.error("Failing closed, no decision will show anything: {}", loaded.unavailable());
        }
        return loaded;
    }

    /** The commands this operator's broadcast input takes: experiment commands and the bandit's updates. */
    public static boolean isDecisionCommand(ControlEvent control) {
        return control.getCommand() == ControlCommand.BANDIT_UPDATE || ExperimentCommands.isExperimentCommand(control);
    }

    @Override
    public void processBroadcastElement(ControlEvent control, Context ctx, Collector<PersonalizationDecision> out)
            throws Exception {
        if (control.getCommand() == ControlCommand.BANDIT_UPDATE && control.getBanditStatistics() != null) {
            try {
                BanditStatistics update = LearnBandit.fromRecord(control.getBanditStatistics());
                LinearBandit fitted = new LinearBandit(update, policy.rules().bandit()); // refuses a wrong shape
                BanditStatistics held = ctx.getBroadcastState(BANDIT).get(BANDIT_KEY);
                if (held == null || update.rounds() > held.rounds()) { // a replayed older update changes nothing
                    ctx.getBroadcastState(BANDIT).put(BANDIT_KEY, update);
                    bandit = fitted;
                    banditRead = true;
                }
            } catch (IllegalArgumentException e) {
                LOG.warn("BANDIT_UPDATE {} refused: {}", control.getRequestId(), e.getMessage());
                if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
                    ctx.output(AuditRecords.AUDIT, AuditRecords.of(AuditRecords.CONTROL_REJECTED, COMPONENT, control,
                            "BANDIT_UPDATE refused, the bandit keeps its statistics: " + e.getMessage()));
                }
            }
            return;
        }
        if (!ExperimentCommands.isExperimentCommand(control)) {
            return;
        }
        BroadcastState<String, LiveExperiment> state = ctx.getBroadcastState(EXPERIMENTS);
        String kind;
        String detail;
        try {
            ExperimentCommands.Applied applied = ExperimentCommands.apply(control,
                    RunningExperiments.known(configured, state.immutableEntries()));
            state.put(applied.experiment().key, applied.experiment());
            kind = applied.kind();
            detail = applied.detail();
            LOG.info("{}: {}", control.getCommand(), detail);
        } catch (IllegalArgumentException e) {
            kind = AuditRecords.CONTROL_REJECTED;
            detail = e.getMessage() + "; nothing changed";
            LOG.warn("{} refused: {}", control.getCommand(), e.getMessage());
        }
        running = null; // rebuilt from the broadcast state at the next event
        if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) { // every subtask did the same
            ctx.output(AuditRecords.AUDIT, AuditRecords.of(kind, COMPONENT, control, detail));
        }
    }

    @Override
    public void processElement(DecisionInput input, ReadOnlyContext ctx, Collector<PersonalizationDecision> out)
            throws Exception {
        if (input.command != null) {
            onUserCommand(input.command, ctx);
            return;
        }
        if (running == null) {
            running = RunningExperiments.of(RunningExperiments.known(configured,
                    ctx.getBroadcastState(EXPERIMENTS).immutableEntries()));
        }
        if (!banditRead) {
            BanditStatistics statistics = ctx.getBroadcastState(BANDIT).get(BANDIT_KEY);
            bandit = statistics == null ? null : new LinearBandit(statistics, policy.rules().bandit());
            banditRead = true;
        }
        ScoredEvent scored = input.scored;
        UserEvent event = scored.input.event;
        DecisionHistory h = history.value();
        if (h == null) {
            h = DecisionHistory.fresh();
        }
        attributeFeedback(h, event, ctx);
        if (event.getEventType() == EventType.PURCHASE) {
            h.lastPurchaseAt = Math.max(h.lastPurchaseAt, event.getEventTime());
            reportPurchase(event, ctx); // before any exposure this event causes: only later purchases count
        }
        String decisionId = decisionId(event.getEventId());
        DecisionPolicy.Outcome outcome;
        Placement placement;
        if (h.optedOut) {
            placement = new Placement(null, -1, null);
            outcome = policy.decide(scored, DecisionPolicy.Treatment.DEFAULT, "CONSENT_OPTED_OUT", h, popular, bandit, 0,
                    gate);
        } else {
            placement = place(event, ctx);
            DecisionPolicy.Treatment treatment = !placement.personalize() ? DecisionPolicy.Treatment.DEFAULT
                    : placement.experiment.variations[placement.variation].equals(policy.rules().banditVariant())
                            ? DecisionPolicy.Treatment.BANDIT : DecisionPolicy.Treatment.RULES;
            outcome = policy.decide(scored, treatment, placement.stopReason != null ? placement.stopReason
                    : "EXPERIMENT_CONTROL_NON_PERSONALIZED", h, popular, bandit, uniform(decisionId), gate);
        }
        remember(h, outcome, decisionId, event, ctx);
        history.update(h);
        decisionsByAction.get(outcome.action).inc();
        if (outcome.fallback != null) {
            fallbacks.inc();
            fallbacksByReason.get(outcome.fallback).inc();
        }
        if (outcome.forReview != null) {
            ctx.output(FOR_REVIEW, decision(uuid("review/" + event.getEventId()), scored, outcome.forReview, placement));
        }
        PersonalizationDecision decision = decision(decisionId, scored, outcome, placement);
        ctx.output(DECISION_AUDIT, DecisionAudits.of(decision, scored, outcome));
        out.collect(decision);
    }

    private PersonalizationDecision decision(String decisionId, ScoredEvent scored, DecisionPolicy.Outcome outcome,
            Placement placement) {
        UserEvent event = scored.input.event;
        return PersonalizationDecision.newBuilder()
                .setDecisionId(decisionId)
                .setUserId(event.getUserId())
                .setTriggerEventId(event.getEventId())
                .setTriggerEventType(event.getEventType().name())
                .setEventTime(event.getEventTime())
                .setDecidedAt(System.currentTimeMillis())
                .setAction(outcome.action)
                .setItems(outcome.items)
                .setModelScores(modelScores(scored, outcome))
                .setExperimentId(placement.experiment == null ? null : placement.experiment.key)
                .setVariant(placement.experiment == null ? null : placement.experiment.variations[placement.variation])
                .setReasons(outcome.reasons)
                .setFallback(outcome.fallback != null)
                .setFallbackReason(outcome.fallbackReason)
                .setPolicy(outcome.policy)
                .setActionProbability(outcome.actionProbability)
                .setConfidence(outcome.confidence)
                .setCatalogVersion(outcome.catalogVersion)
                .build();
    }

    /**
     * A click or purchase within the attribution window after a bandit decision rewards it (last
     * touch); the window's end, or a newer bandit decision, closes it with no reward.
     */
    private void attributeFeedback(DecisionHistory h, UserEvent event, ReadOnlyContext ctx) {
        if (!h.hasPending()) {
            return;
        }
        boolean feedback = event.getEventType() == EventType.CLICK || event.getEventType() == EventType.PURCHASE;
        if (feedback && event.getEventTime() >= h.pendingAt && event.getEventTime() <= attributionEnd(h)) {
            closePending(h, 1, ctx);
        }
    }

    private void closePending(DecisionHistory h, double reward, ReadOnlyContext ctx) {
        ctx.output(BANDIT_FEEDBACK, new BanditFeedback(h.pendingDecisionId, h.pendingAction, h.pendingProbability,
                h.pendingContext, reward));
        ctx.timerService().deleteEventTimeTimer(attributionEnd(h));
        banditRewards.inc();
        h.clearPending();
    }

    /** Keeps what later decisions' rules and the bandit's reward need. */
    private void remember(DecisionHistory h, DecisionPolicy.Outcome outcome, String decisionId, UserEvent event,
            ReadOnlyContext ctx) {
        long now = event.getEventTime();
        if (outcome.negativeReview) {
            h.lastNegativeReviewAt = Math.max(h.lastNegativeReviewAt, now);
        }
        h.recordAction(outcome.action, now, Math.max(1, policy.rules().maxMessagesPerDay()));
        if (outcome.banditContext != null) {
            if (h.hasPending()) {
                closePending(h, 0, ctx); // superseded before any feedback
            }
            h.pendingAction = outcome.action.ordinal();
            h.pendingProbability = outcome.actionProbability;
            h.pendingContext = outcome.banditContext;
            h.pendingAt = now;
            h.pendingDecisionId = decisionId;
            ctx.timerService().registerEventTimeTimer(attributionEnd(h));
        }
    }

    /** When the pending bandit decision's attribution window closes (event time). */
    private long attributionEnd(DecisionHistory h) {
        return h.pendingAt + policy.rules().attributionWindow().toMillis();
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PersonalizationDecision> out) throws Exception {
        DecisionHistory h = history.value();
        if (h != null && h.hasPending() && attributionEnd(h) <= timestamp) {
            closePending(h, 0, ctx);
            history.update(h);
        }
    }

    /** Decisions of this subtask that fell back to the default for the reason (its metric). */
    long fallbackCount(DecisionPolicy.Fallback reason) {
        return fallbacksByReason.get(reason).getCount();
    }

    /** A uniform draw in [0, 1) fixed by the decision id, so a replayed event is decided the same way. */
    static double uniform(String decisionId) {
        long h = MurmurHash3.hash128x64(decisionId.getBytes(StandardCharsets.UTF_8))[0];
        return (h >>> 11) * 0x1.0p-53;
    }

    /** The experiment and variation that govern this user's decision (none: control's behaviour, like GrowthBook). */
    private record Placement(LiveExperiment experiment, int variation, String stopReason) {
        boolean personalize() {
            return experiment != null && variation != 0 && stopReason == null;
        }
    }

    private Placement place(UserEvent event, ReadOnlyContext ctx) throws Exception {
        String userId = event.getUserId();
        for (RunningExperiments.Running r : running.inOrder()) {
            LiveExperiment live = r.live();
            ExperimentMembership membership = memberships.get(live.key);
            int variation = membership == null ? -1 : membership.variationIn(live);
            if (variation < 0) {
                variation = r.assigner().assign(userId);
                if (variation < 0) {
                    continue; // outside its coverage or namespace: the next experiment may take the user
                }
                memberships.put(live.key, new ExperimentMembership(variation, live.variations[variation]));
                expose(live, r.assigner(), variation, event, ctx);
            }
            if (live.holdout && variation != 0) {
                continue;
            }
            String stopReason = live.stoppedVariants[variation]
                    ? "VARIANT_STOPPED(" + live.key + "/" + live.variations[variation] + ": " + live.stopReasons[variation] + ")"
                    : null;
            return new Placement(live, variation, stopReason);
        }
        return new Placement(null, -1, null);
    }

    private void expose(LiveExperiment live, Experiment assigner, int variation, UserEvent event, ReadOnlyContext ctx) {
        exposures.inc();
        ctx.output(ASSIGNMENTS, ExperimentAssignment.newBuilder()
                .setAssignmentId(uuid("assignment/" + live.key + "/" + event.getUserId()))
                .setExperimentId(live.key)
                .setUserId(event.getUserId())
                .setVariationIndex(variation)
                .setVariant(live.variations[variation])
                .setHashVersion(live.hashVersion)
                .setBucket(assigner.bucketOf(event.getUserId()))
                .setTriggerEventId(event.getEventId())
                .setEventTime(event.getEventTime())
                .setAssignedAt(System.currentTimeMillis())
                .build());
        ctx.output(EXPERIMENT_OBSERVATIONS, ExperimentObservation.exposure(live, variation));
    }

    /** A purchase by a user already exposed counts for every running experiment and live variant they are in. */
    private void reportPurchase(UserEvent event, ReadOnlyContext ctx) throws Exception {
        double revenue = event.getPrice() == null ? 0
                : event.getPrice() * (event.getQuantity() == null ? 1 : event.getQuantity());
        for (RunningExperiments.Running r : running.inOrder()) {
            LiveExperiment live = r.live();
            ExperimentMembership membership = memberships.get(live.key);
            int variation = membership == null ? -1 : membership.variationIn(live);
            if (variation < 0 || live.stoppedVariants[variation]) {
                continue;
            }
            ctx.output(EXPERIMENT_OBSERVATIONS, ExperimentObservation.purchase(live, variation, !membership.converted,
                    membership.revenue, revenue));
            membership.converted = true;
            membership.revenue += revenue;
            memberships.put(live.key, membership);
        }
    }

    private void onUserCommand(ControlEvent control, ReadOnlyContext ctx) throws Exception {
        if (control.getCommand() == ControlCommand.OPT_OUT || control.getCommand() == ControlCommand.OPT_IN) {
            DecisionHistory h = history.value();
            if (h == null) {
                h = DecisionHistory.fresh();
            }
            h.optedOut = control.getCommand() == ControlCommand.OPT_OUT;
            history.update(h);
            ctx.output(AuditRecords.AUDIT, AuditRecords.of(CONSENT_CHANGED, COMPONENT, control, h.optedOut
                    ? "opted out: only non-personalized defaults, no messages, no experiments from now on"
                    : "opted in: personalized decisions and experiments again"));
            return;
        }
        if (control.getCommand() != ControlCommand.ERASE_USER) {
            return;
        }
        DecisionHistory h = history.value();
        if (h != null && h.hasPending()) {
            ctx.timerService().deleteEventTimeTimer(attributionEnd(h));
        }
        boolean held = !memberships.isEmpty() || h != null;
        memberships.clear();
        history.clear();
        ctx.output(AuditRecords.AUDIT, AuditRecords.of(AuditRecords.USER_ERASED, COMPONENT, control,
                held ? "deleted the user's experiment assignments and decision history"
                        : "no experiment assignments or decision history were held for the user"));
    }

    private List<ModelScore> modelScores(ScoredEvent scored, DecisionPolicy.Outcome outcome) {
        List<ModelScore> modelScores = new ArrayList<>(scored.models.length + 1);
        for (ModelResult r : scored.models) {
            if (r.notApplicable) {
                continue; // e.g. sentiment for an event without text
            }
            modelScores.add(new ModelScore(r.model, r.version, r.isOk() ? (double) r.score : null, r.status,
                    r.latencyMicros));
        }
        if (!outcome.items.isEmpty() && outcome.items.get(outcome.items.size() - 1).getSource()
                .equals(DecisionPolicy.SOURCE_POPULAR)) {
            modelScores.add(new ModelScore(PopularItems.MODEL_NAME, popular.version(), null, ModelStatus.OK, 0L));
        }
        return modelScores;
    }

    /**
     * The id of the decision an event triggers: a name-based UUID of the event id and nothing else, so
     * the same event gets the same id whenever it is decided (a replay after a failover or a restore
     * included) and consumers of an at-least-once topic can deduplicate by it.
     */
    public static String decisionId(String eventId) {
        return uuid("decision/" + eventId);
    }

    static String uuid(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
