package io.personalize.udfs.experiment;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.ExperimentResult;
import io.personalize.schema.VariantResult;
import io.personalize.udfs.control.AuditRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by experiment: counts exposures, conversions and revenue per variation as they happen and,
 * every report interval with news, emits the analysis (lift with its delta-method interval, p-value,
 * always-valid p-value, sample-ratio check). When a guardrail trips it sends STOP_VARIANT on a side
 * output (to the control topic, which the decision operator reads) and audits it.
 */
public class AnalyzeExperiments extends KeyedProcessFunction<String, ExperimentObservation, ExperimentResult> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<ControlEvent> GUARDRAIL_COMMANDS = new OutputTag<>("guardrail-commands") {};
    public static final String COMPONENT = "analyze-experiments";
    public static final String GUARDRAIL_STOP = "GUARDRAIL_STOP";

    private final AnalysisSettings settings;
    private transient ValueState<ExperimentTally> tally;
    private transient Counter guardrailStops;

    public AnalyzeExperiments(AnalysisSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        tally = getRuntimeContext().getState(new ValueStateDescriptor<>("experiment-tally", ExperimentTally.class));
        guardrailStops = getRuntimeContext().getMetricGroup().counter("guardrailStops");
    }

    @Override
    public void processElement(ExperimentObservation observation, Context ctx, Collector<ExperimentResult> out)
            throws Exception {
        ExperimentTally t = tally.value();
        if (t == null) {
            t = new ExperimentTally();
        }
        t.observe(observation);
        if (t.nextReportAt == 0) {
            t.nextReportAt = ctx.timerService().currentProcessingTime() + settings.reportInterval().toMillis();
            ctx.timerService().registerProcessingTimeTimer(t.nextReportAt);
        }
        tally.update(t);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ExperimentResult> out) throws Exception {
        ExperimentTally t = tally.value();
        t.nextReportAt = 0;
        ExperimentResult result = analyse(ctx.getCurrentKey(), t, timestamp);
        for (ControlEvent stop : guardrails(ctx.getCurrentKey(), t, result, timestamp)) {
            guardrailStops.inc();
            ctx.output(GUARDRAIL_COMMANDS, stop);
            ctx.output(AuditRecords.AUDIT, AuditRecords.of(GUARDRAIL_STOP, COMPONENT, stop, stop.getReason()));
            result.getGuardrailActions().add("STOPPED " + stop.getVariant() + ": " + stop.getReason());
        }
        tally.update(t);
        out.collect(result);
    }

    ExperimentResult analyse(String key, ExperimentTally t, long now) {
        int n = t.variations.length;
        ExperimentStatistics.Arm control = arm(t, 0);
        List<VariantResult> variants = new ArrayList<>(n);
        long exposures = 0;
        for (int v = 0; v < n; v++) {
            exposures += t.users[v];
            VariantResult.Builder r = VariantResult.newBuilder()
                    .setVariant(t.variations[v])
                    .setUsers(t.users[v])
                    .setConversions(t.conversions[v])
                    .setConversionRate(t.users[v] == 0 ? 0 : (double) t.conversions[v] / t.users[v])
                    .setRevenue(t.revenue[v])
                    .setRevenuePerUser(t.revenuePerUser(v))
                    .setStopped(t.stopped[v] || t.guardrailStops[v] != null)
                    .setStopReason(t.stopped[v] ? t.stopReasons[v] : t.guardrailStops[v]);
            if (v > 0) {
                ExperimentStatistics.Comparison c = ExperimentStatistics.compare(control, arm(t, v), settings.confidence());
                if (!Double.isNaN(c.lift())) {
                    t.sequentialPValues[v] = SequentialTest.update(t.sequentialPValues[v], c.lift(),
                            c.standardError() * c.standardError(), settings.sequentialTau());
                    r.setLift(c.lift()).setLiftCiLow(c.liftCiLow()).setLiftCiHigh(c.liftCiHigh()).setPValue(c.pValue());
                }
                r.setSequentialPValue(t.sequentialPValues[v]);
                ExperimentStatistics.Comparison revenue = ExperimentStatistics.compareMeans(t.variations[v],
                        t.revenuePerUser(0), t.revenuePerUserVariance(0), t.revenuePerUser(v),
                        t.revenuePerUserVariance(v), settings.confidence());
                if (!Double.isNaN(revenue.lift()) && !Double.isNaN(revenue.liftCiLow())) {
                    r.setRevenueLift(revenue.lift()).setRevenueLiftCiLow(revenue.liftCiLow())
                            .setRevenueLiftCiHigh(revenue.liftCiHigh());
                }
            }
            variants.add(r.build());
        }
        return ExperimentResult.newBuilder()
                .setExperimentKey(key)
                .setReportedAt(now)
                .setExposures(exposures)
                .setSrmPValue(srmPValue(t))
                .setVariants(variants)
                .setGuardrailActions(new ArrayList<>())
                .build();
    }

    /** Chi-square over the variations new users can still get, since the weights last changed. */
    static Double srmPValue(ExperimentTally t) {
        List<ExperimentStatistics.Arm> arms = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (int v = 0; v < t.variations.length; v++) {
            if (t.weights[v] > 0) {
                arms.add(new ExperimentStatistics.Arm(t.variations[v], t.usersAtWeights[v], 0));
                weights.add(t.weights[v]);
            }
        }
        if (arms.size() < 2 || arms.stream().mapToLong(ExperimentStatistics.Arm::users).sum() == 0) {
            return null;
        }
        double total = weights.stream().mapToDouble(Double::doubleValue).sum();
        return ExperimentStatistics.sampleRatioMismatchPValue(arms,
                weights.stream().mapToDouble(w -> w / total).toArray());
    }

    private List<ControlEvent> guardrails(String key, ExperimentTally t, ExperimentResult result, long now) {
        List<ControlEvent> stops = new ArrayList<>();
        boolean enoughUsers = true;
        for (int v = 0; v < t.variations.length; v++) {
            enoughUsers &= t.stopped[v] || t.users[v] >= settings.guardrailMinUsers();
        }
        if (!enoughUsers) {
            return stops;
        }
        Double srm = result.getSrmPValue();
        boolean srmFired = srm != null && srm < settings.srmPValue();
        for (int v = 1; v < t.variations.length; v++) {
            if (t.stopped[v] || t.guardrailStops[v] != null) {
                continue;
            }
            VariantResult r = result.getVariants().get(v);
            String reason = null;
            if (srmFired) {
                reason = String.format(Locale.ROOT, "sample-ratio mismatch: chi-square p=%.2g < %.2g over users %s",
                        srm, settings.srmPValue(), java.util.Arrays.toString(t.usersAtWeights));
            } else if (r.getLift() != null && r.getLift() <= -settings.maxConversionDrop()
                    && r.getSequentialPValue() < settings.guardrailAlpha()) {
                reason = String.format(Locale.ROOT,
                        "conversion %.1f%% vs control (95%% CI %.1f%%..%.1f%%), always-valid p=%.2g < %.2g; "
                                + "guardrail: no drop over %.0f%%",
                        100 * r.getLift(), 100 * r.getLiftCiLow(), 100 * r.getLiftCiHigh(), r.getSequentialPValue(),
                        settings.guardrailAlpha(), 100 * settings.maxConversionDrop());
            }
            if (reason != null) {
                t.guardrailStops[v] = reason;
                r.setStopped(true);
                r.setStopReason(reason);
                stops.add(ControlEvent.newBuilder()
                        .setRequestId("guardrail/" + key + "/" + t.variations[v] + "/" + t.weightsVersion)
                        .setCommand(ControlCommand.STOP_VARIANT)
                        .setExperimentKey(key)
                        .setVariant(t.variations[v])
                        .setReason(reason)
                        .setRequestedBy("guardrail:" + COMPONENT)
                        .setRequestedAt(now)
                        .build());
            }
        }
        return stops;
    }

    private static ExperimentStatistics.Arm arm(ExperimentTally t, int v) {
        return new ExperimentStatistics.Arm(t.variations[v], t.users[v], t.conversions[v]);
    }
}
