package io.personalize.udfs.features;

import io.personalize.schema.UserEvent;

/** An event together with the user's features right after it: the input of model scoring. */
public class FeaturizedEvent {
    public UserEvent event;
    /** {@link FeatureVector} of the user as of the event. */
    public float[] features;
    /** The user's items by affinity, highest first, with their scores: personal candidates. */
    public String[] affinityItems;
    public double[] affinityScores;
    /** The user's most recent items and purchases, newest first. */
    public String[] recentItems;
    public String[] recentPurchases;
    /** {@link TextFeatures#hashedTokens} of the event's text (REVIEW, SEARCH); empty otherwise. */
    public int[] textTokens;
    public long orders;
    /** The user's most-bought items with their purchase lines, the filter of bought items, and the re-purchase counters. */
    public String[] purchasedItems;
    public int[] purchasedCounts;
    public int[] purchasedHours;
    public long[] purchasedItemBits;
    public long repeatPurchaseLines;
    public long distinctPurchasedItems;
    /** Wall-clock time the feature operator saw the event, for latency metrics. */
    public long featurizedAt;
    /** The model versions deployed from the control topic when the event passed (JSON), or null: the registry's. */
    public String modelDeployments;

    public FeaturizedEvent() {}

    /** The event with a snapshot of the user's features right after it (arrays copied, not shared). */
    public static FeaturizedEvent of(UserEvent event, UserFeatures features) {
        FeaturizedEvent featurized = new FeaturizedEvent();
        featurized.event = event;
        featurized.features = FeatureVector.asOfEvent(features, event);
        featurized.affinityItems = features.affinityItems.clone();
        featurized.affinityScores = features.affinityScores.clone();
        featurized.recentItems = features.recentItems.clone();
        featurized.recentPurchases = features.recentPurchases.clone();
        featurized.textTokens = TextFeatures.hashedTokens(event.getText());
        featurized.orders = features.orders;
        featurized.purchasedItems = features.purchasedItems == null ? new String[0] : features.purchasedItems.clone();
        featurized.purchasedCounts = features.purchasedCounts == null ? new int[0] : features.purchasedCounts.clone();
        featurized.purchasedHours = features.purchasedHours == null ? new int[0] : features.purchasedHours.clone();
        featurized.purchasedItemBits = features.purchasedItemBits == null ? new long[0] : features.purchasedItemBits.clone();
        featurized.repeatPurchaseLines = features.repeatPurchaseLines;
        featurized.distinctPurchasedItems = features.distinctPurchasedItems;
        featurized.featurizedAt = System.currentTimeMillis();
        return featurized;
    }

    /** This event stamped with the deployed model versions: a shallow copy, as records are not mutated. */
    public FeaturizedEvent withModelDeployments(String deployments) {
        if (java.util.Objects.equals(deployments, modelDeployments)) {
            return this;
        }
        FeaturizedEvent stamped = new FeaturizedEvent();
        stamped.event = event;
        stamped.features = features;
        stamped.affinityItems = affinityItems;
        stamped.affinityScores = affinityScores;
        stamped.recentItems = recentItems;
        stamped.recentPurchases = recentPurchases;
        stamped.textTokens = textTokens;
        stamped.orders = orders;
        stamped.featurizedAt = featurizedAt;
        stamped.modelDeployments = deployments;
        return stamped;
    }
}
