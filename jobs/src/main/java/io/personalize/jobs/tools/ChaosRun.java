package io.personalize.jobs.tools;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The measuring side of scripts/chaos.sh: sends known Online Retail events at a fixed rate, watches
 * the decisions topic as a {@code read_committed} consumer, and times each fault the script reports
 * (a line {@code EPOCH_MS NAME} appended to {@code --faults}): the recovery time of a fault is the
 * time from it until the decision of an event sent after it became visible. Once the script says it
 * is done ({@code --faults-done}) and the input is all sent, it waits for every expected decision,
 * reads the topic again with a fresh consumer, checks the input topic holds each event once, and ends
 * with one JSON line: {@code {"expected":..,"seen":..,"lost":..,"duplicated":..,"recovery_s":[..]}}.
 */
@Command(name = "chaos-run", mixinStandardHelpOptions = true,
        description = "Steady input, decisions watched read_committed, faults timed; ends with one JSON line.")
public final class ChaosRun implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092") String bootstrapServers;
    @Option(names = "--events-topic", required = true) String eventsTopic;
    @Option(names = "--decisions-topic", required = true) String decisionsTopic;
    @Option(names = "--data", description = "Online Retail CSV (gzip). Default: ../shared/data/online-retail/online_retail.csv.gz")
    Path data = OnlineRetailEvents.defaultFile();
    @Option(names = "--skip", defaultValue = "0", description = "Start after this many purchase events.") int skip;
    @Option(names = "--events", defaultValue = "9000", description = "Events to send. Default: ${DEFAULT-VALUE}") int count;
    @Option(names = "--rate", defaultValue = "50", description = "Events per second. Default: ${DEFAULT-VALUE}") double rate;
    @Option(names = "--faults", required = true, description = "File of 'EPOCH_MS NAME' lines the script appends.")
    Path faults;
    @Option(names = "--faults-done", required = true, description = "Created by the script after its last fault.")
    Path faultsDone;
    @Option(names = "--progress", required = true,
            description = "Rewritten every half second: sent N, committed N, and a line per fault with its recovery.")
    Path progress;
    @Option(names = "--exactly-once", description = "Duplicates fail the run too (not only losses).") boolean exactlyOnce;
    @Option(names = "--idle", defaultValue = "10",
            description = "Seconds without new decisions before the topic counts as complete. Default: ${DEFAULT-VALUE}")
    int idleSeconds;
    @Option(names = "--drain-timeout", defaultValue = "600",
            description = "Seconds to wait for every expected decision after the input. Default: ${DEFAULT-VALUE}")
    int drainSeconds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ChaosRun()).execute(args));
    }

    private record Fault(String name, long at) {}

    @Override
    public Integer call() throws Exception {
        List<UserEvent> all = OnlineRetailEvents.load(data).events();
        List<UserEvent> events = all.subList(Math.min(skip, all.size()), Math.min(all.size(), skip + count));
        log("sending %,d events at %.0f/s to %s; watching %s read_committed", events.size(), rate, eventsTopic,
                decisionsTopic);
        List<Fault> timed;
        double[] recovery;
        List<String> expected;
        try (IdWatch decisions = IdWatch.decisions(bootstrapServers, decisionsTopic, new Properties())) {
            SteadyInput input = new SteadyInput(bootstrapServers, eventsTopic, events, rate);
            expected = input.decisionIds();
            while (!(input.isDone() && Files.exists(faultsDone))) {
                writeProgress(input, decisions, readFaults());
                Thread.sleep(500);
            }
            input.await(Duration.ofSeconds(1)); // rethrows what sending failed with
            log("all %,d events sent; waiting for every decision (idle %d s, at most %d s)", events.size(), idleSeconds,
                    drainSeconds);
            decisions.awaitAll(expected, Duration.ofSeconds(idleSeconds), Duration.ofSeconds(drainSeconds));
            timed = readFaults();
            writeProgress(input, decisions, timed);
            recovery = new double[timed.size()];
            for (int i = 0; i < timed.size(); i++) {
                recovery[i] = input.recoverySeconds(decisions, timed.get(i).at());
                log("%s: %s", timed.get(i).name(), Double.isNaN(recovery[i]) ? "no decision of a later event committed"
                        : String.format(Locale.ROOT, "the first decision of an event sent after it was committed %.1f s later",
                                recovery[i]));
            }
        }

        DeliveryReport report;
        try (IdWatch fresh = IdWatch.decisions(bootstrapServers, decisionsTopic, new Properties())) {
            fresh.awaitAll(expected, Duration.ofSeconds(5), Duration.ofSeconds(120));
            report = fresh.report(expected);
        }
        DeliveryReport input;
        try (IdWatch sent = IdWatch.events(bootstrapServers, eventsTopic, new Properties())) {
            List<String> eventIds = events.stream().map(UserEvent::getEventId).toList();
            sent.awaitAll(eventIds, Duration.ofSeconds(3), Duration.ofSeconds(120));
            input = sent.report(eventIds);
        }
        log("input topic (read_committed): %s", input.describe());
        log("decisions topic (read_committed, a fresh consumer): %s", report.describe());
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"expected\":%d,\"seen\":%d,\"lost\":%d,\"duplicated\":%d,\"recovery_s\":[", report.expected(),
                report.seen(), report.lost(), report.duplicated()));
        for (int i = 0; i < recovery.length; i++) {
            json.append(i > 0 ? "," : "").append(Double.isNaN(recovery[i]) ? "null"
                    : String.format(Locale.ROOT, "%.1f", recovery[i]));
        }
        System.out.println(json.append("]}"));
        if (!input.exactlyOnce()) {
            log("the input topic does not hold each event once: the run proves nothing about the job");
            return 2;
        }
        boolean failed = report.lost() > 0 || report.unexpected() > 0 || (exactlyOnce && report.duplicated() > 0);
        return failed ? 1 : 0;
    }

    private List<Fault> readFaults() throws java.io.IOException {
        List<Fault> out = new ArrayList<>();
        if (!Files.exists(faults)) {
            return out;
        }
        for (String line : Files.readAllLines(faults, StandardCharsets.UTF_8)) {
            String[] parts = line.trim().split("\\s+", 2);
            if (parts.length == 2 && parts[0].matches("\\d+")) {
                out.add(new Fault(parts[1], Long.parseLong(parts[0])));
            }
        }
        return out;
    }

    /** What the script polls: how far the input is, how many decisions are committed, each fault's recovery. */
    private void writeProgress(SteadyInput input, IdWatch decisions, List<Fault> timed) throws java.io.IOException {
        StringBuilder text = new StringBuilder();
        text.append("sent ").append(input.sent()).append('\n');
        text.append("committed ").append(decisions.distinct()).append('\n');
        for (Fault f : timed) {
            double seconds = input.recoverySeconds(decisions, f.at());
            text.append("fault ").append(f.at()).append(' ')
                    .append(Double.isNaN(seconds) ? "pending" : String.format(Locale.ROOT, "%.1f", seconds)).append('\n');
        }
        Path tmp = progress.resolveSibling(progress.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, progress, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void log(String format, Object... args) {
        System.err.println("chaos-run: " + String.format(Locale.ROOT, format, args));
    }
}
