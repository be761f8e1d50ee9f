package io.personalize.udfs.experiment;

/**
 * One fact for an experiment's live analysis, from the decision operator: a user exposed to a
 * variation, or an exposed user's purchase. It carries the experiment's current variations,
 * weights and stopped variants, so the analysis needs no other input.
 */
public class ExperimentObservation {
    public String experimentKey;
    public String[] variations;
    public double[] weights;
    public int weightsVersion;
    public boolean[] stoppedVariants;
    public String[] stopReasons;
    public int variation;
    /** True for an exposure; false for a purchase. */
    public boolean exposure;
    /** The user's first purchase since exposure. */
    public boolean firstConversion;
    public double revenue;
    /** How much the sum over users of (revenue per user)^2 grew: 2 * before * revenue + revenue^2. */
    public double revenueSquaresDelta;

    public ExperimentObservation() {}

    public static ExperimentObservation exposure(LiveExperiment experiment, int variation) {
        ExperimentObservation o = about(experiment, variation);
        o.exposure = true;
        return o;
    }

    public static ExperimentObservation purchase(LiveExperiment experiment, int variation, boolean firstConversion,
            double revenueBefore, double revenue) {
        ExperimentObservation o = about(experiment, variation);
        o.firstConversion = firstConversion;
        o.revenue = revenue;
        o.revenueSquaresDelta = 2 * revenueBefore * revenue + revenue * revenue;
        return o;
    }

    private static ExperimentObservation about(LiveExperiment experiment, int variation) {
        ExperimentObservation o = new ExperimentObservation();
        o.experimentKey = experiment.key;
        o.variations = experiment.variations;
        o.weights = experiment.effectiveWeights();
        o.weightsVersion = experiment.weightsVersion;
        o.stoppedVariants = experiment.stoppedVariants;
        o.stopReasons = experiment.stopReasons;
        o.variation = variation;
        return o;
    }
}
