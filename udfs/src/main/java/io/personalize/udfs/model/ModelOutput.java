package io.personalize.udfs.model;

import io.personalize.udfs.features.FeaturizedEvent;

/**
 * One part of a decision's fan-in: either the featurized event itself ({@link #input}) or one
 * model's answer about it ({@link #result}), joined back per event by {@code JoinModelResults};
 * or, now and then, a model's {@link #monitoring} report riding along in the same stream.
 */
public class ModelOutput {
    public String eventId;
    public String userId;
    public FeaturizedEvent input;
    public ModelResult result;
    /** Or a scoring subtask's monitoring report, passed on to the monitoring topic by the join. */
    public io.personalize.schema.ModelMonitoring monitoring;

    public ModelOutput() {}

    public static ModelOutput input(FeaturizedEvent input) {
        ModelOutput out = new ModelOutput();
        out.eventId = input.event.getEventId();
        out.userId = input.event.getUserId();
        out.input = input;
        return out;
    }

    public static ModelOutput result(FeaturizedEvent about, ModelResult result) {
        return result(ScoringRequest.identity(about), result);
    }

    public static ModelOutput result(ScoringRequest about, ModelResult result) {
        ModelOutput out = new ModelOutput();
        out.eventId = about.eventId;
        out.userId = about.userId;
        out.result = result;
        return out;
    }

    public static ModelOutput monitoring(ScoringRequest about, io.personalize.schema.ModelMonitoring report) {
        ModelOutput out = new ModelOutput();
        out.eventId = about.eventId;
        out.userId = about.userId;
        out.monitoring = report;
        return out;
    }
}
