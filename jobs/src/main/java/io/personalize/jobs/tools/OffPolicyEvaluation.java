package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.personalize.udfs.bandit.LoggedRound;
import io.personalize.udfs.bandit.OffPolicyEstimators;
import io.personalize.udfs.bandit.OffPolicyEstimators.Estimate;
import io.personalize.udfs.bandit.OpenBanditLogs;
import io.personalize.udfs.bandit.OpenBanditLogs.Campaign;
import io.personalize.udfs.bandit.SmoothedMeanRewards;
import io.personalize.udfs.bandit.TargetPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Off-policy evaluation on the Open Bandit Dataset, per campaign: the uniform policy's value from
 * the Thompson-sampling logs against its on-policy value in the random logs (the check that the
 * estimators are unbiased), and the value of a candidate learned from the Thompson-sampling logs
 * (slot k shows the item with the k-th best smoothed click rate there), estimated from the random
 * logs, where every item had the same chance in every slot.
 */
@Command(name = "ope", mixinStandardHelpOptions = true,
        description = "For each campaign of the Open Bandit Dataset: the random logs' click rate (the uniform "
                + "policy's value, on-policy) beside the IPW, SNIPW and DR estimates of the same value from the "
                + "Thompson-sampling (BTS) logs, then the estimates from the random logs of a candidate learned from "
                + "the BTS logs, each with its 95%% interval. Ends with one JSON line.")
public final class OffPolicyEvaluation implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CAMPAIGNS = List.of("men", "women");
    /** Pseudo-rounds of additive smoothing: about 50 clicks in 10,000 rounds leave most items a handful. */
    private static final double PRIOR_ROUNDS = 10;

    @Parameters(index = "0", description = "Dataset: open-bandit")
    String dataset;

    @Option(names = "--data", description = "The dataset's folder (random/, bts/). Default: ${DEFAULT-VALUE}")
    Path data = OpenBanditLogs.defaultDir();

    public static void main(String[] args) {
        System.exit(new CommandLine(new OffPolicyEvaluation()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!dataset.equals("open-bandit")) {
            throw new CommandLine.ParameterException(new CommandLine(this), "unknown dataset " + dataset);
        }
        if (!Files.isDirectory(data)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--data " + data + " is not a folder");
        }
        ObjectNode figures = JSON.createObjectNode();
        for (String name : CAMPAIGNS) {
            figures.set(name, evaluate(OpenBanditLogs.load(data.resolve("random").resolve(name)),
                    OpenBanditLogs.load(data.resolve("bts").resolve(name))));
        }
        System.out.println(JSON.writeValueAsString(figures));
        return 0;
    }

    private static ObjectNode evaluate(Campaign random, Campaign bts) {
        ObjectNode out = JSON.createObjectNode();
        System.out.printf(Locale.ROOT, "%s: %d items; random logs %,d rounds, %.0f clicks; BTS logs %,d rounds, "
                        + "%.0f clicks%n", random.name(), random.items(), random.rounds().size(), clicks(random.rounds()),
                bts.rounds().size(), clicks(bts.rounds()));
        Estimate reference = OffPolicyEstimators.onPolicy(random.rounds());
        System.out.printf(Locale.ROOT, "  reference, the random logs' click rate: %.5f ± %.5f (SE)%n",
                reference.value(), reference.standardError());
        out.set("reference", json(reference));

        System.out.println("  the uniform policy from the BTS logs (z: difference from the reference in combined SEs):");
        out.set("uniform_from_bts", estimates(bts, TargetPolicy.uniform(bts.items()), reference));

        int[] ranking = rankBySmoothedClickRate(bts);
        int slots = random.rounds().stream().mapToInt(LoggedRound::position).max().orElseThrow();
        int[] shown = IntStream.range(0, slots).map(k -> ranking[k]).toArray();
        // with a handful of matching clicks, or none (then SE 0), the normal intervals mean little
        List<LoggedRound> matching = random.rounds().stream()
                .filter(round -> round.action() == shown[round.position() - 1]).toList();
        System.out.printf(Locale.ROOT, "  candidate, slot k shows the k-th best item by smoothed BTS click rate "
                        + "(items %s; %,d random rounds match it, %.0f clicks), from the random logs:%n",
                Arrays.toString(shown), matching.size(), clicks(matching));
        ObjectNode candidate = estimates(random,
                TargetPolicy.deterministic(random.items(), round -> shown[round.position() - 1]), null);
        Arrays.stream(shown).forEach(candidate.putArray("items")::add);
        out.set("candidate_from_random", candidate);
        return out;
    }

    /** IPW, SNIPW and DR, each with its z against the reference unless that is null. */
    private static ObjectNode estimates(Campaign logs, TargetPolicy target, Estimate reference) {
        ObjectNode out = JSON.createObjectNode();
        print(out, "IPW", OffPolicyEstimators.ipw(logs.rounds(), target), reference);
        print(out, "SNIPW", OffPolicyEstimators.snipw(logs.rounds(), target), reference);
        print(out, "DR", OffPolicyEstimators.doublyRobust(logs.rounds(), target,
                SmoothedMeanRewards.fitter(logs.items(), LoggedRound::position, PRIOR_ROUNDS)), reference);
        return out;
    }

    private static void print(ObjectNode out, String name, Estimate estimate, Estimate reference) {
        System.out.printf(Locale.ROOT, "    %-5s %.5f ± %.5f  95%% CI [%.5f, %.5f]  ESS %,8.1f", name, estimate.value(),
                estimate.standardError(), estimate.ciLow(), estimate.ciHigh(), estimate.effectiveSampleSize());
        ObjectNode figures = json(estimate);
        if (reference != null) {
            double z = (estimate.value() - reference.value())
                    / Math.hypot(estimate.standardError(), reference.standardError());
            System.out.printf(Locale.ROOT, "  z %+.2f", z);
            figures.put("z_vs_reference", z);
        }
        System.out.println();
        out.set(name.toLowerCase(Locale.ROOT), figures);
    }

    private static int[] rankBySmoothedClickRate(Campaign logs) {
        SmoothedMeanRewards rates = SmoothedMeanRewards.fit(logs.rounds(), logs.items(), round -> 0, PRIOR_ROUNDS);
        return IntStream.range(0, logs.items()).boxed()
                .sorted(Comparator.comparingDouble(rates::actionMean).reversed())
                .mapToInt(Integer::intValue).toArray();
    }

    private static double clicks(List<LoggedRound> rounds) {
        return rounds.stream().mapToDouble(LoggedRound::reward).sum();
    }

    private static ObjectNode json(Estimate estimate) {
        ObjectNode out = JSON.createObjectNode();
        out.put("value", estimate.value());
        out.put("se", estimate.standardError());
        out.put("ci_low", estimate.ciLow());
        out.put("ci_high", estimate.ciHigh());
        out.put("ess", estimate.effectiveSampleSize());
        return out;
    }
}
