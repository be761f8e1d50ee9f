package io.personalize.udfs.experiment;

/** A user's sticky place in one experiment, and what they did after exposure (keyed state, a POJO). */
public class ExperimentMembership {
    public int variation;
    /** The variation's key, so a redefined experiment cannot silently move the user. */
    public String variant;
    public boolean converted;
    /** Revenue of the user's purchases since exposure. */
    public double revenue;

    public ExperimentMembership() {}

    public ExperimentMembership(int variation, String variant) {
        this.variation = variation;
        this.variant = variant;
    }

    /** The user's variation in the experiment as it is now, or -1 when it no longer has theirs. */
    public int variationIn(LiveExperiment experiment) {
        if (variation < experiment.variations.length && experiment.variations[variation].equals(variant)) {
            return variation;
        }
        return experiment.indexOf(variant);
    }
}
