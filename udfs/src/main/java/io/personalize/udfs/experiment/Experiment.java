package io.personalize.udfs.experiment;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * An A/B/n experiment, assigned exactly like a GrowthBook experiment with the same key, variations,
 * weights, coverage, hash version, seed and namespace.
 */
public final class Experiment implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final List<String> variations;
    private final double[] weights;
    private final double coverage;
    private final int hashVersion;
    private final String seed;
    private final String namespace;
    private final double namespaceStart;
    private final double namespaceEnd;
    private final boolean holdout;

    public Experiment(String key, List<String> variations, double[] weights, double coverage, int hashVersion,
            String seed, String namespace, double namespaceStart, double namespaceEnd) {
        this(key, variations, weights, coverage, hashVersion, seed, namespace, namespaceStart, namespaceEnd, false);
    }

    /**
     * A {@code holdout} experiment puts its control users on the default everywhere; its other users
     * go on to the experiments after it.
     */
    public Experiment(String key, List<String> variations, double[] weights, double coverage, int hashVersion,
            String seed, String namespace, double namespaceStart, double namespaceEnd, boolean holdout) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("experiment key is empty");
        }
        if (variations.size() < 2) {
            throw new IllegalArgumentException("experiment " + key + " needs at least two variations, got " + variations);
        }
        if (weights != null && weights.length != variations.size()) {
            throw new IllegalArgumentException("experiment " + key + " has " + variations.size() + " variations but "
                    + weights.length + " weights");
        }
        if (weights != null) {
            double total = 0;
            for (double w : weights) {
                if (!(w >= 0)) {
                    throw new IllegalArgumentException("experiment " + key + ": weights must be >= 0, got "
                            + Arrays.toString(weights));
                }
                total += w;
            }
            if (Math.abs(total - 1) > 0.01) {
                throw new IllegalArgumentException("experiment " + key + ": weights must sum to 1, got "
                        + Arrays.toString(weights));
            }
        }
        if (!(coverage >= 0 && coverage <= 1)) {
            throw new IllegalArgumentException("experiment " + key + ": coverage must be in [0, 1], got " + coverage);
        }
        if (namespace != null && !(namespaceStart >= 0 && namespaceStart < namespaceEnd && namespaceEnd <= 1)) {
            throw new IllegalArgumentException("experiment " + key + ": namespace range must satisfy 0 <= start < end <= 1, got ["
                    + namespaceStart + ", " + namespaceEnd + ")");
        }
        if (hashVersion != 1 && hashVersion != 2) {
            throw new IllegalArgumentException("experiment " + key + ": hash version must be 1 or 2, got " + hashVersion);
        }
        this.key = key;
        this.variations = List.copyOf(variations);
        this.weights = weights == null ? null : weights.clone();
        this.coverage = coverage;
        this.hashVersion = hashVersion;
        this.seed = seed == null || seed.isEmpty() ? key : seed;
        this.namespace = namespace;
        this.namespaceStart = namespaceStart;
        this.namespaceEnd = namespaceEnd;
        this.holdout = holdout;
    }

    public static Experiment twoWay(String key, String control, String treatment) {
        return new Experiment(key, List.of(control, treatment), null, 1.0, 2, null, null, 0, 1);
    }

    public String key() {
        return key;
    }

    public List<String> variations() {
        return variations;
    }

    public int hashVersion() {
        return hashVersion;
    }

    /** The configured weights, or equal ones. */
    public double[] weights() {
        return weights == null ? GrowthBookHashing.equalWeights(variations.size()) : weights.clone();
    }

    public double coverage() {
        return coverage;
    }

    public String seed() {
        return seed;
    }

    public String namespace() {
        return namespace;
    }

    public double namespaceStart() {
        return namespaceStart;
    }

    public double namespaceEnd() {
        return namespaceEnd;
    }

    public boolean holdout() {
        return holdout;
    }

    /** The same experiment with other weights (sticky users keep their variation; new ones use these). */
    public Experiment withWeights(double[] newWeights) {
        return new Experiment(key, variations, newWeights, coverage, hashVersion, seed, namespace, namespaceStart,
                namespaceEnd, holdout);
    }

    /** The user's hash, the same value GrowthBook computes for this experiment. */
    public double bucketOf(String userId) {
        return GrowthBookHashing.hash(seed, userId, hashVersion);
    }

    /** Variation index for the user, or -1 when the user is outside the namespace or the coverage. */
    public int assign(String userId) {
        if (namespace != null && !GrowthBookHashing.inNamespace(userId, namespace, namespaceStart, namespaceEnd)) {
            return -1;
        }
        return GrowthBookHashing.chooseVariation(bucketOf(userId),
                GrowthBookHashing.bucketRanges(variations.size(), coverage, weights));
    }

    @Override
    public String toString() {
        return "Experiment{" + key + " " + variations + " weights=" + Arrays.toString(weights) + " coverage=" + coverage
                + " hashVersion=" + hashVersion + (namespace == null ? "" : " namespace=" + namespace + "[" + namespaceStart + ","
                + namespaceEnd + ")") + (holdout ? " holdout" : "") + "}";
    }
}
