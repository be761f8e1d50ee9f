package io.personalize.udfs.experiment;

/**
 * Always-valid p-values by the mixture sequential probability ratio test (Johari, Pekelis and
 * Walsh, "Always Valid Inference", 2017) on an asymptotically normal estimate such as a relative
 * lift: with a N(0, tau^2) mixture over the effect, the likelihood ratio after estimate theta with
 * variance v is sqrt(v / (v + tau^2)) * exp(theta^2 tau^2 / (2 v (v + tau^2))), and the p-value is the
 * running minimum of its inverse. Unlike a fixed-horizon p-value it may be watched after every
 * update without inflating false positives.
 */
public final class SequentialTest {
    private SequentialTest() {}

    /** The p-value of this look alone (1 when the variance is unknown); callers keep the running minimum. */
    public static double pValueAtLook(double estimate, double variance, double tau) {
        if (!(variance > 0) || Double.isNaN(estimate)) {
            return 1;
        }
        double tau2 = tau * tau;
        double logLikelihoodRatio = 0.5 * Math.log(variance / (variance + tau2))
                + estimate * estimate * tau2 / (2 * variance * (variance + tau2));
        return Math.min(1, Math.exp(-logLikelihoodRatio));
    }

    /** The always-valid p-value after this look, given the previous one (1 before the first look). */
    public static double update(double previous, double estimate, double variance, double tau) {
        return Math.min(previous, pValueAtLook(estimate, variance, tau));
    }
}
