package io.personalize.udfs.model;

import io.personalize.udfs.features.FeaturizedEvent;

/**
 * What a scoring operator needs of an event: its ids, the model inputs and the deployment stamp.
 * Async operators copy every input they hold when object reuse is on; copying this costs a small
 * fraction of copying the featurized event with its Avro record, which had been most of a
 * one-row model's cost in the job.
 */
public class ScoringRequest {
    public String eventId;
    public String userId;
    /** {@link io.personalize.udfs.features.FeatureVector} of the user as of the event; null where unused. */
    public float[] features;
    /** Hashed text tokens of the event; empty without text. */
    public int[] textTokens;
    /** See {@link FeaturizedEvent#modelDeployments}. */
    public String modelDeployments;

    public ScoringRequest() {}

    public static ScoringRequest of(FeaturizedEvent event) {
        ScoringRequest request = identity(event);
        request.features = event.features;
        request.textTokens = event.textTokens;
        return request;
    }

    /** The ids and the stamp only, for models that bring their own rows (the ranker). */
    public static ScoringRequest identity(FeaturizedEvent event) {
        ScoringRequest request = new ScoringRequest();
        request.eventId = event.event.getEventId();
        request.userId = event.event.getUserId();
        request.textTokens = new int[0];
        request.modelDeployments = event.modelDeployments;
        return request;
    }
}
