package io.personalize.jobs.tools;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Replays the UCI Online Retail purchases, in event-time order, into the input topic. */
@Command(name = "replay-events", mixinStandardHelpOptions = true,
        description = "Replay real Online Retail purchases into the input topic as Avro single-object records.")
public final class ReplayEvents implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "user-events")
    String topic;

    @Option(names = "--data", description = "Online Retail CSV (gzip). Default: ../shared/data/online-retail/online_retail.csv.gz")
    Path data = OnlineRetailEvents.defaultFile();

    @Option(names = "--rate", defaultValue = "500",
            description = "Events per second; 0 sends as fast as possible. Default: ${DEFAULT-VALUE}")
    double rate;

    @Option(names = "--limit", defaultValue = "0", description = "Send at most this many events (0: all).")
    int limit;

    @Option(names = "--skip", defaultValue = "0", description = "Start after this many events.")
    int skip;

    @Option(names = "--malformed-every", defaultValue = "0",
            description = "Also send one malformed record after every N events, to exercise the dead-letter path.")
    int malformedEvery;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReplayEvents()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<UserEvent> events = OnlineRetailEvents.load(data).events();
        int from = Math.min(skip, events.size());
        int to = limit > 0 ? Math.min(events.size(), from + limit) : events.size();
        List<UserEvent> selected = events.subList(from, to);
        if (selected.isEmpty()) {
            System.err.println("nothing to replay");
            return 1;
        }
        System.out.printf("Replaying %,d purchase events (%s .. %s) to %s at %s%n", selected.size(),
                Instant.ofEpochMilli(selected.get(0).getEventTime()),
                Instant.ofEpochMilli(selected.get(selected.size() - 1).getEventTime()), topic,
                rate > 0 ? rate + " events/s" : "full speed");
        long started = System.nanoTime();
        try (EventReplayer replayer = new EventReplayer(bootstrapServers, topic, new Properties())) {
            replayer.replay(selected, rate, malformedEvery, 42, null);
            System.out.printf("Sent %,d events and %,d malformed records in %.1f s%n", replayer.sent(),
                    replayer.malformedSent(), (System.nanoTime() - started) / 1e9);
        }
        return 0;
    }
}
