package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.personalize.udfs.experiment.ExperimentStatistics;
import io.personalize.udfs.experiment.ExperimentStatistics.Arm;
import io.personalize.udfs.experiment.ExperimentStatistics.Comparison;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The experiment analysis of the stream, for numbers from anywhere: prints JSON. */
@Command(name = "experiment-stats", mixinStandardHelpOptions = true,
        description = "Relative lift (delta method, normal approximation) of each variant over the first (control), "
                + "and a sample-ratio-mismatch chi-square p-value.")
public final class ExperimentStats implements Callable<Integer> {
    @Option(names = "--variant", required = true, paramLabel = "NAME:USERS:CONVERSIONS",
            description = "One per variant; the first is control.")
    List<String> variants;

    @Option(names = "--weights", split = ",", description = "Expected traffic shares (default: equal).")
    double[] weights;

    @Option(names = "--confidence", defaultValue = "0.95")
    double confidence;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ExperimentStats()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Arm> arms = new ArrayList<>();
        for (String variant : variants) {
            String[] parts = variant.split(":");
            if (parts.length != 3) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "--variant must be NAME:USERS:CONVERSIONS, got " + variant);
            }
            try {
                arms.add(new Arm(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2])));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--variant " + variant + ": "
                        + e.getMessage());
            }
        }
        if (arms.size() < 2) {
            throw new CommandLine.ParameterException(new CommandLine(this), "need at least two --variant");
        }
        if (weights != null && weights.length != arms.size()) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    arms.size() + " variants but " + weights.length + " --weights");
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        out.put("control", arms.get(0).name());
        out.put("srm_p_value", ExperimentStatistics.sampleRatioMismatchPValue(arms, weights));
        ObjectNode byVariant = out.putObject("variants");
        for (Comparison c : ExperimentStatistics.compareAll(arms, confidence)) {
            ObjectNode v = byVariant.putObject(c.variant());
            v.put("lift", c.lift());
            v.put("lift_ci_low", c.liftCiLow());
            v.put("lift_ci_high", c.liftCiHigh());
            v.put("p_value", c.pValue());
        }
        System.out.println(json.writeValueAsString(out));
        return 0;
    }
}
