package io.personalize.jobs.tools;

import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Drives a benchmark of a running job through Kafka: {@code load} puts a backlog of real events on
 * the input topic; {@code measure} (after the job is started) times how fast the job drains it
 * (sustained throughput), then sends events at a fixed rate and measures each one's latency from
 * the producer's send to the decision arriving at a consumer.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {Bench.Load.class, Bench.Measure.class})
public final class Bench {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    static List<UserEvent> events(Path data, int count, String runId, long timeShift, int offset) throws Exception {
        List<UserEvent> all = OnlineRetailEvents.load(data).events();
        List<UserEvent> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            UserEvent e = all.get((offset + i) % all.size());
            int lap = (offset + i) / all.size();
            out.add(UserEvent.newBuilder(e)
                    .setEventId(runId + "-" + (offset + i))
                    .setEventTime(e.getEventTime() + timeShift + lap * 400L * 24 * 3600 * 1000)
                    .build());
        }
        return out;
    }

    @Command(name = "load", description = "Put a backlog of events on the input topic.")
    static final class Load implements Callable<Integer> {
        @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092") String bootstrapServers;
        @Option(names = "--topic", required = true) String topic;
        @Option(names = "--events", defaultValue = "300000") int count;
        @Option(names = "--run-id", required = true) String runId;
        @Option(names = "--data") Path data = OnlineRetailEvents.defaultFile();

        @Override
        public Integer call() throws Exception {
            List<UserEvent> events = events(data, count, runId, 0, 0);
            long start = System.nanoTime();
            try (EventReplayer replayer = new EventReplayer(bootstrapServers, topic, new Properties())) {
                replayer.replay(events, 0, 0, 1, null);
            }
            System.out.printf(Locale.ROOT, "loaded %,d events into %s in %.1f s%n", count, topic,
                    (System.nanoTime() - start) / 1e9);
            return 0;
        }
    }

    @Command(name = "measure", description = "Measure drain throughput, then latency at fixed rates.")
    static final class Measure implements Callable<Integer> {
        @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092") String bootstrapServers;
        @Option(names = "--events-topic", required = true) String eventsTopic;
        @Option(names = "--decisions-topic", required = true) String decisionsTopic;
        @Option(names = "--backlog", defaultValue = "300000") int backlog;
        @Option(names = "--run-id", required = true) String runId;
        @Option(names = "--latency-seconds", defaultValue = "30") int latencySeconds;
        @Option(names = "--warmup-seconds", defaultValue = "15",
                description = "Sent at each rate before measuring; their latencies are not counted.")
        int warmupSeconds;
        @Option(names = "--load-fractions", split = ",", defaultValue = "0.5")
        double[] loadFractions;
        @Option(names = "--cores", defaultValue = "2", description = "Cores of the machine, for per-core figures.")
        int cores;
        @Option(names = "--data") Path data = OnlineRetailEvents.defaultFile();
        @Option(names = "--job-pids", split = ",", description = "The Flink processes (JobManager, TaskManagers): "
                + "their CPU time is the job's.") List<Long> jobPids = List.of();
        @Option(names = "--broker-pid", description = "The Kafka broker, whose CPU is reported beside the job's.")
        Long brokerPid;
        @Option(names = "--taskmanager-pid", description = "Its resident memory is sampled during a soak run.")
        Long taskManagerPid;
        @Option(names = "--clock-ticks", defaultValue = "100", description = "getconf CLK_TCK") long clockTicks;
        @Option(names = "--flink-rest", defaultValue = "http://localhost:8081") String flinkRest;
        @Option(names = "--soak-minutes", defaultValue = "0",
                description = "Then run at the first load fraction this long, reporting latency and memory per minute.")
        int soakMinutes;
        @Option(names = "--out", description = "Folder for the table (bench.md) and the plot (bench.png).")
        Path out;

        private final BinaryMessageDecoder<PersonalizationDecision> decoder = PersonalizationDecision.createDecoder(null);

        @Override
        public Integer call() throws Exception {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID());
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "5");
            ProcessUsage usage = new ProcessUsage(clockTicks);
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                consumer.subscribe(List.of(decisionsTopic));
                Drain drain = drain(consumer, usage);
                double throughput = drain.eventsPerSecond();
                System.out.printf(Locale.ROOT, "throughput: %,.0f events/s sustained through the whole DAG "
                        + "(%,.0f per core on %d cores), backlog of %,d events%n", throughput, throughput / cores,
                        cores, backlog);
                if (!jobPids.isEmpty()) {
                    System.out.printf(Locale.ROOT, "CPU while draining: %.1f ms per 1,000 events in the Flink processes"
                            + "%s%n", drain.jobCpuMsPer1000(), brokerPid == null ? ""
                            : String.format(Locale.ROOT, " (and %.1f ms in the Kafka broker)", drain.brokerCpuMsPer1000()));
                }
                StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                        "{\"mode\":\"all\",\"events_per_s\":%.0f,\"events_per_s_per_core\":%.0f", throughput,
                        throughput / cores));
                StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                        "| load | events/s | p50 ms | p99 ms | p99.9 ms | max ms | CPU ms / 1,000 events |%n"
                                + "|---|---|---|---|---|---|---|%n| drain (100%%) | %,.0f | | | | | %.1f |%n",
                        throughput, drain.jobCpuMsPer1000()));
                List<BenchPlot.Load> loads = new ArrayList<>();
                int offset = backlog;
                for (double fraction : loadFractions) {
                    double rate = Math.max(1, throughput * fraction);
                    int warmup = (int) (rate * warmupSeconds);
                    int count = (int) (rate * latencySeconds);
                    long cpuBefore = usage.cpuMillis(jobPids);
                    long[] latencies = latencyAt(consumer, rate, warmup, count, offset, warmupSeconds, latencySeconds, true);
                    double cpuPer1000 = jobPids.isEmpty() ? Double.NaN
                            : (usage.cpuMillis(jobPids) - cpuBefore) * 1000.0 / (warmup + count);
                    offset += warmup + count;
                    Arrays.sort(latencies);
                    String label = Math.round(fraction * 100) + "pct";
                    System.out.printf(Locale.ROOT, "latency at %.0f%% load (%,.0f events/s for %d s after %d s of warm-up, %,d decisions): "
                                    + "p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms%n",
                            fraction * 100, rate, latencySeconds, warmupSeconds, latencies.length, pct(latencies, 0.50),
                            pct(latencies, 0.99), pct(latencies, 0.999), latencies[latencies.length - 1] / 1e3);
                    json.append(String.format(Locale.ROOT, ",\"p50_ms_at_%s\":%.1f,\"p99_ms_at_%s\":%.1f,\"p999_ms_at_%s\":%.1f",
                            label, pct(latencies, 0.50), label, pct(latencies, 0.99), label, pct(latencies, 0.999)));
                    table.append(String.format(Locale.ROOT, "| %.0f%% | %,.0f | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
                            fraction * 100, rate, pct(latencies, 0.50), pct(latencies, 0.99), pct(latencies, 0.999),
                            latencies[latencies.length - 1] / 1e3, cpuPer1000));
                    loads.add(new BenchPlot.Load(String.format(Locale.ROOT, "%.0f%% load (%,.0f events/s)",
                            fraction * 100, rate), latencies));
                }
                List<BenchPlot.Minute> soak = soakMinutes > 0
                        ? soak(consumer, Math.max(1, throughput * loadFractions[0]), offset, table, json)
                        : List.of();
                json.append(",\"cpu_ms_per_1000_events\":").append(jsonNumber(drain.jobCpuMsPer1000()));
                System.out.print(table);
                if (out != null) {
                    java.nio.file.Files.createDirectories(out);
                    java.nio.file.Files.writeString(out.resolve("bench.md"), table);
                    BenchPlot.write(out.resolve("bench.png"), loads, soak);
                    System.out.println("table and plot: " + out.resolve("bench.md") + ", " + out.resolve("bench.png"));
                }
                System.out.println(json.append('}'));
            }
            return 0;
        }

        private record Drain(double eventsPerSecond, double jobCpuMsPer1000, double brokerCpuMsPer1000) {}

        /**
         * Runs at a constant rate for {@code soakMinutes}, one latency measurement per minute, sampling
         * the TaskManager's heap (every 2 s; the minute's lowest, i.e. after collection) and its RSS.
         */
        private List<BenchPlot.Minute> soak(KafkaConsumer<byte[], byte[]> consumer, double rate, int offset,
                StringBuilder table, StringBuilder json) throws Exception {
            HeapSampler heap = new HeapSampler(flinkRest);
            List<BenchPlot.Minute> minutes = new ArrayList<>();
            table.append(String.format(Locale.ROOT, "%nsoak at %,.0f events/s:%n%n"
                    + "| minute | p50 ms | p99 ms | heap used MiB (lowest) | TaskManager RSS MiB |%n|---|---|---|---|---|%n", rate));
            try (heap) {
                for (int minute = 1; minute <= soakMinutes; minute++) {
                    int warmup = minute == 1 ? (int) (rate * warmupSeconds) : 0;
                    int count = (int) (rate * 60);
                    heap.startMinute();
                    long[] latencies = latencyAt(consumer, rate, warmup, count, offset, minute == 1 ? warmupSeconds : 0,
                            60, false);
                    offset += warmup + count;
                    Arrays.sort(latencies);
                    BenchPlot.Minute m = new BenchPlot.Minute(minute, pct(latencies, 0.5), pct(latencies, 0.99),
                            heap.lowestMib(), taskManagerPid == null ? -1 : ProcessUsage.residentMib(taskManagerPid));
                    minutes.add(m);
                    String row = String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.0f | %.0f |%n", minute, m.p50Ms(),
                            m.p99Ms(), m.heapMib(), m.rssMib());
                    System.out.print("soak " + row);
                    table.append(row);
                }
            }
            SoakTrend trend = SoakTrend.of(minutes);
            table.append(String.format(Locale.ROOT, "%n%s%n", trend.describe()));
            System.out.println(trend.describe());
            json.append(String.format(Locale.ROOT, ",\"soak_minutes\":%d,\"soak_p99_ms_first\":%s,"
                    + "\"soak_p99_ms_last\":%s,\"soak_heap_mib_first\":%s,\"soak_heap_mib_last\":%s,"
                    + "\"soak_growth\":%s", soakMinutes, jsonNumber(trend.p99First()), jsonNumber(trend.p99Last()),
                    jsonNumber(trend.heapFirst()), jsonNumber(trend.heapLast()),
                    Double.isNaN(trend.p99First()) ? "null" : Boolean.toString(trend.grows())));
            return minutes;
        }

        /** Waits for the whole backlog's decisions; the rate between the first and last decision. */
        private Drain drain(KafkaConsumer<byte[], byte[]> consumer, ProcessUsage usage) throws Exception {
            List<Long> broker = brokerPid == null ? List.of() : List.of(brokerPid);
            long jobCpuAtFirst = 0;
            long brokerCpuAtFirst = 0;
            long seen = 0;
            long firstDecidedAt = Long.MAX_VALUE;
            long lastDecidedAt = Long.MIN_VALUE;
            long lastProgress = System.nanoTime();
            while (seen < backlog) {
                var records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    PersonalizationDecision d = decoder.decode(ByteBuffer.wrap(record.value()));
                    if (d.getTriggerEventId().startsWith(runId + "-")) {
                        if (seen++ == 0) {
                            jobCpuAtFirst = usage.cpuMillis(jobPids);
                            brokerCpuAtFirst = usage.cpuMillis(broker);
                        }
                        firstDecidedAt = Math.min(firstDecidedAt, d.getDecidedAt());
                        lastDecidedAt = Math.max(lastDecidedAt, d.getDecidedAt());
                    }
                }
                if (!records.isEmpty()) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > Duration.ofSeconds(120).toNanos()) {
                    throw new IllegalStateException("no decisions for 120 s; saw " + seen + " of " + backlog);
                }
            }
            long jobCpu = usage.cpuMillis(jobPids) - jobCpuAtFirst;
            long brokerCpu = usage.cpuMillis(broker) - brokerCpuAtFirst;
            return new Drain((seen - 1) * 1000.0 / Math.max(1, lastDecidedAt - firstDecidedAt),
                    jobPids.isEmpty() ? Double.NaN : jobCpu * 1000.0 / (seen - 1),
                    broker.isEmpty() ? Double.NaN : brokerCpu * 1000.0 / (seen - 1));
        }

        private long[] latencyAt(KafkaConsumer<byte[], byte[]> consumer, double rate, int warmup, int count,
                int offset, int warmupSeconds, int latencySeconds, boolean verbose) throws Exception {
            List<UserEvent> events = events(data, warmup + count, runId, 0, offset);
            java.util.Set<String> measured = new java.util.HashSet<>();
            events.subList(warmup, events.size()).forEach(e -> measured.add(e.getEventId()));
            int warmupLeft = warmup;
            Map<String, Long> sentAtNanos = new ConcurrentHashMap<>();
            Map<String, Long> sentAtWallMs = new ConcurrentHashMap<>();
            long[] toDecision = new long[count];
            long[] latencies = new long[count];
            Thread producer = new Thread(() -> {
                // the clock starts at send(): the producer's own batching delay is not the engine's
                Properties sendNow = new Properties();
                sendNow.setProperty("linger.ms", "0");
                try (EventReplayer replayer = new EventReplayer(bootstrapServers, eventsTopic, sendNow)) {
                    int[] i = {0};
                    replayer.replay(events, rate, 0, 1, wallMs -> {
                        String id = events.get(i[0]++).getEventId();
                        sentAtWallMs.put(id, wallMs);
                        sentAtNanos.put(id, System.nanoTime());
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "bench-producer");
            producer.start();
            int received = 0;
            long phaseStart = System.nanoTime() + warmupSeconds * 1_000_000_000L;
            long[] worstPerSecond = new long[latencySeconds + 120];
            long lastProgress = System.nanoTime();
            while (received < count || warmupLeft > 0) {
                var records = consumer.poll(Duration.ofMillis(50));
                long now = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    PersonalizationDecision d = decoder.decode(ByteBuffer.wrap(record.value()));
                    Long sent = sentAtNanos.remove(d.getTriggerEventId());
                    if (sent != null && !measured.contains(d.getTriggerEventId())) {
                        warmupLeft--;
                        sentAtWallMs.remove(d.getTriggerEventId());
                        continue;
                    }
                    if (sent != null) {
                        toDecision[received] = d.getDecidedAt() - sentAtWallMs.remove(d.getTriggerEventId());
                        long micros = (now - sent) / 1_000;
                        latencies[received++] = micros;
                        int second = (int) Math.max(0, Math.min(worstPerSecond.length - 1,
                                (sent - phaseStart) / 1_000_000_000L));
                        worstPerSecond[second] = Math.max(worstPerSecond[second], micros);
                    }
                }
                if (!records.isEmpty()) {
                    lastProgress = now;
                } else if (now - lastProgress > Duration.ofSeconds(60).toNanos()) {
                    throw new IllegalStateException("no decisions for 60 s; received " + received + " of " + count);
                }
            }
            producer.join();
            if (!verbose) {
                return latencies;
            }
            StringBuilder timeline = new StringBuilder("worst latency per second of sending (ms):");
            for (int second = 0; second < latencySeconds; second++) {
                timeline.append(' ').append(worstPerSecond[second] / 1_000);
            }
            System.out.println(timeline);
            Arrays.sort(toDecision);
            System.out.printf(Locale.ROOT, "of which send -> decision made in the job (decidedAt, ms): p50 %d, p99 %d%n",
                    toDecision[count / 2], toDecision[(int) (count * 0.99)]);
            return latencies;
        }

        /** One decimal, or null for a figure that could not be measured. */
        private static String jsonNumber(double value) {
            return Double.isFinite(value) ? String.format(Locale.ROOT, "%.1f", value) : "null";
        }

        private static double pct(long[] sortedMicros, double q) {
            return BenchPlot.percentile(sortedMicros, q) / 1e3;
        }
    }
}
