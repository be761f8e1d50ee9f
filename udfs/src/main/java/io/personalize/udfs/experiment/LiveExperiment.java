package io.personalize.udfs.experiment;

import io.personalize.schema.ExperimentDefinition;
import java.util.Arrays;
import java.util.List;

/**
 * An experiment as the job runs it now: its definition, the order it was started in (the first
 * experiment that takes a user decides for them, as GrowthBook's feature rules do), the weights new
 * users get and the variants that were stopped. Broadcast state of the decision operator (a POJO,
 * so fields can be added).
 */
public class LiveExperiment {
    public String key;
    public String[] variations;
    /** Configured weights; empty means equal. */
    public double[] weights;
    public double coverage = 1;
    public int hashVersion = 2;
    public String seed;
    public String namespace;
    public double namespaceStart;
    public double namespaceEnd = 1;
    public boolean holdout;
    /** Position among running experiments: lower is evaluated first. */
    public long sequence;
    /** Counts weight changes (and variant stops): the sample-ratio check restarts at each. */
    public int weightsVersion;
    public boolean[] stoppedVariants;
    public String[] stopReasons;
    public boolean stopped;

    public LiveExperiment() {}

    public static LiveExperiment of(Experiment experiment, long sequence) {
        LiveExperiment live = new LiveExperiment();
        live.key = experiment.key();
        live.variations = experiment.variations().toArray(new String[0]);
        live.weights = experiment.weights();
        live.coverage = experiment.coverage();
        live.hashVersion = experiment.hashVersion();
        live.seed = experiment.seed();
        live.namespace = experiment.namespace();
        live.namespaceStart = experiment.namespaceStart();
        live.namespaceEnd = experiment.namespaceEnd();
        live.holdout = experiment.holdout();
        live.sequence = sequence;
        live.stoppedVariants = new boolean[live.variations.length];
        live.stopReasons = new String[live.variations.length];
        return live;
    }

    /** Validates the definition (a clear IllegalArgumentException when it is wrong). */
    public static LiveExperiment of(ExperimentDefinition definition, long sequence) {
        List<String> variations = definition.getVariations().stream().map(CharSequence::toString).toList();
        double[] weights = definition.getWeights().isEmpty() ? null
                : definition.getWeights().stream().mapToDouble(Double::doubleValue).toArray();
        return of(new Experiment(definition.getKey(), variations, weights, definition.getCoverage(),
                definition.getHashVersion(), definition.getSeed(), definition.getNamespace(),
                definition.getNamespaceStart(), definition.getNamespaceEnd(), definition.getHoldout()), sequence);
    }

    public LiveExperiment copy() {
        LiveExperiment copy = new LiveExperiment();
        copy.key = key;
        copy.variations = variations.clone();
        copy.weights = weights.clone();
        copy.coverage = coverage;
        copy.hashVersion = hashVersion;
        copy.seed = seed;
        copy.namespace = namespace;
        copy.namespaceStart = namespaceStart;
        copy.namespaceEnd = namespaceEnd;
        copy.holdout = holdout;
        copy.sequence = sequence;
        copy.weightsVersion = weightsVersion;
        copy.stoppedVariants = stoppedVariants.clone();
        copy.stopReasons = stopReasons.clone();
        copy.stopped = stopped;
        return copy;
    }

    public int indexOf(String variant) {
        return Arrays.asList(variations).indexOf(variant);
    }

    /**
     * The weights new users are assigned by: a stopped variant's share is spread over the others in
     * proportion, so nobody new lands in it; with every non-control variant stopped, control takes all.
     */
    public double[] effectiveWeights() {
        double[] w = weights.length == 0 ? GrowthBookHashing.equalWeights(variations.length) : weights.clone();
        double kept = 0;
        for (int i = 0; i < w.length; i++) {
            if (stoppedVariants[i]) {
                w[i] = 0;
            }
            kept += w[i];
        }
        if (kept <= 0) {
            Arrays.fill(w, 0);
            w[0] = 1;
            return w;
        }
        for (int i = 0; i < w.length; i++) {
            w[i] /= kept;
        }
        return w;
    }

    /** The GrowthBook experiment new users are assigned by. */
    public Experiment toExperiment() {
        return new Experiment(key, List.of(variations), effectiveWeights(), coverage, hashVersion, seed, namespace,
                namespaceStart, namespaceEnd, holdout);
    }
}
