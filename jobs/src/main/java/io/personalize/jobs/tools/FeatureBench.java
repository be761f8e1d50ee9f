package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.control.NoControlCommands;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.UpdateUserFeatures;
import io.personalize.udfs.features.UserFeatures;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark of the feature stage alone: generated events -> per-user features (RocksDB,
 * checkpointing on) -> a discarding sink, in a local Flink cluster in this process; then the peer:
 * the same windowed counts, sums and distinct counts written as Flink SQL OVER-window aggregations
 * over the same events, same backend, same checkpointing. Throughput per core is events per second
 * of this process's CPU time (the generator, the shuffle and RocksDB's own threads included), so a
 * noisy neighbour does not change it much; the ratio compares the two.
 */
@Command(name = "feature-bench", mixinStandardHelpOptions = true,
        description = "Events/s per core of the feature stage vs. Flink SQL OVER windows, and state bytes per user.")
public final class FeatureBench implements Callable<Integer> {
    private static final long T0 = 1_700_000_000_000L;
    private static final String ROCKSDB_OPTIONS = "state.backend.rocksdb.";
    private static final String[] TYPE_NAMES = {"VIEW", "CLICK", "ADD_TO_CART", "PURCHASE", "REVIEW", "SEARCH"};

    @Option(names = "--users", split = ",", defaultValue = "100000,1000000",
            description = "Distinct users, one run each (default: ${DEFAULT-VALUE}).")
    List<Integer> userCounts;
    @Option(names = "--events-per-user", defaultValue = "10", description = "Events per user (default: ${DEFAULT-VALUE}).")
    int eventsPerUser;
    @Option(names = "--peer-events-per-user", defaultValue = "2",
            description = "Events per user for the Flink SQL peer, which is much slower (default: ${DEFAULT-VALUE}).")
    int peerEventsPerUser;
    @Option(names = "--peer-max-events", defaultValue = "200000",
            description = "At most this many events for the peer (default: ${DEFAULT-VALUE}); fewer events per user "
                    + "make its windows smaller, so this only flatters the peer.")
    long peerMaxEvents;
    @Option(names = "--span-days", defaultValue = "7", description = "Event-time span of the events (default: ${DEFAULT-VALUE}).")
    int spanDays;
    @Option(names = "--parallelism", defaultValue = "1") int parallelism;
    @Option(names = "--state-backend", defaultValue = "rocksdb", description = "rocksdb (default) or hashmap.")
    String stateBackend;
    @Option(names = "--checkpoint-interval", defaultValue = "10s") String checkpointInterval;
    @Option(names = "--work-dir", defaultValue = ".run/feature-bench") Path workDir;
    @Option(names = "--rest-port", defaultValue = "18089", description = "REST port of the in-process cluster.")
    int restPort;
    @Option(names = "--flink-conf",
            description = "A Flink configuration directory (config.yaml) whose state.backend.rocksdb.* settings the "
                    + "runs use, so the bench measures a profile's RocksDB tuning; --flink-option overrides them.")
    Path flinkConfDir;
    @Option(names = "--flink-option", description = "Extra Flink configuration, key=value (repeatable), e.g. RocksDB tuning.")
    Map<String, String> flinkOptions = new HashMap<>();
    @Option(names = "--no-peer", description = "Skip the Flink SQL peer.") boolean noPeer;
    @Option(names = "--warmup-events", defaultValue = "1000000",
            description = "Events of the untimed warm-up run, so the JIT compiler has finished before the timed runs "
                    + "(default: ${DEFAULT-VALUE}).")
    long warmupEvents;
    /** The state.backend.rocksdb.* settings of --flink-conf, read once; --flink-option overrides them. */
    private Map<String, String> profileRocksDbOptions = Map.of();

    @Option(names = "--baseline", description = "Also run source -> keyBy -> sink without features: the floor of the cost.")
    boolean baseline;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FeatureBench()).execute(args));
    }

    /** The fields of event i of a run: shared by both pipelines so they see the same events. */
    record Fields(String userId, int type, long eventTime, String itemId, double price, int quantity) {
        static Fields of(long i, int users, long events, long spanMs) {
            long h = mix(i);
            String user = userOf(i, users);
            int roll = (int) Math.floorMod(h >>> 20, 100);
            int type = roll < 60 ? 0 : roll < 80 ? 1 : roll < 90 ? 2 : roll < 95 ? 3 : roll < 96 ? 4 : 5;
            // items: a skewed catalogue (the square makes low ids popular)
            long r = Math.floorMod(h >>> 33, 10_000);
            String item = "i" + (r * r / 10_000);
            // in event-time order with up to 2 s of disorder (inside the 5 s watermark bound)
            long time = T0 + i * spanMs / events - Math.floorMod(h >>> 40, 2000);
            return new Fields(user, type, time, type == 4 || type == 5 ? null : item, 1 + (r % 50), 1 + (int) (r % 3));
        }
    }

    /** The user of event i. */
    static String userOf(long i, int users) {
        return "u" + Math.floorMod(mix(i), users);
    }

    static long mix(long x) {
        x = (x ^ (x >>> 30)) * 0xbf58476d1ce4e5b9L;
        x = (x ^ (x >>> 27)) * 0x94d049bb133111ebL;
        return x ^ (x >>> 31);
    }

    static UserEvent event(long i, int users, long events, long spanMs) {
        Fields f = Fields.of(i, users, events, spanMs);
        EventType type = EventType.values()[f.type];
        UserEvent.Builder e = UserEvent.newBuilder().setEventId("b" + i).setUserId(f.userId).setEventType(type)
                .setEventTime(f.eventTime).setItemId(f.itemId);
        if (type == EventType.PURCHASE || type == EventType.ADD_TO_CART) {
            e.setPrice(f.price).setQuantity(f.quantity);
        }
        if (type == EventType.REVIEW || type == EventType.SEARCH) {
            e.setText("great lamp for the living room");
        }
        return e.build();
    }

    static Row row(long i, int users, long events, long spanMs) {
        Fields f = Fields.of(i, users, events, spanMs);
        double amount = f.type == 2 || f.type == 3 ? f.price * f.quantity : 0;
        return Row.of(f.userId, TYPE_NAMES[f.type], f.eventTime, f.itemId, amount);
    }

    private static Map<String, String> rocksDbOptions(Map<String, String> settings) {
        Map<String, String> rocksDb = new TreeMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith(ROCKSDB_OPTIONS)) {
                rocksDb.put(key, value);
            }
        });
        return rocksDb;
    }

    private Configuration flinkConfig(Path checkpoints) {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, stateBackend);
        config.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        // as in the production profile: a full snapshot of a million users every few seconds would
        // cost more than the feature stage itself
        config.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        config.setString("execution.checkpointing.interval", checkpointInterval);
        config.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("512m"));
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        config.setString("metrics.fetcher.update-interval", "200 ms");
        profileRocksDbOptions.forEach(config::setString);
        flinkOptions.forEach(config::setString);
        config.set(RestOptions.PORT, restPort);
        config.set(RestOptions.BIND_PORT, Integer.toString(restPort));
        return config;
    }

    /** One run's figures. */
    record Run(String name, long events, double wallSeconds, double cpuSeconds, JsonNode checkpoints) {
        double eventsPerCpuSecond() {
            return events / cpuSeconds;
        }

    }

    private StreamExecutionEnvironment environment(String name) throws Exception {
        Path checkpoints = Files.createDirectories(workDir.resolve(name + "-" + System.nanoTime()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfig(checkpoints));
        env.setParallelism(parallelism);
        return env;
    }

    private DataStream<UserEvent> generatedEvents(StreamExecutionEnvironment env, int users, long events) {
        long spanMs = spanDays * 24L * 3600 * 1000;
        return env.fromSource(
                new DataGeneratorSource<>((GeneratorFunction<Long, UserEvent>) i -> event(i, users, events, spanMs),
                        events, TypeInformation.of(UserEvent.class)),
                WatermarkStrategy.<UserEvent>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                        .withTimestampAssigner((e, ts) -> e.getEventTime()), "events").uid("events");
    }

    private Run ours(int users, long events, String name) throws Exception {
        StreamExecutionEnvironment env = environment(name);
        DataStream<ControlEvent> noControl = NoControlCommands.stream(env);
        generatedEvents(env, users, events).keyBy(UserEvent::getUserId)
                .connect(noControl.keyBy(ControlEvent::getUserId))
                .process(new UpdateUserFeatures(Duration.ZERO)).uid("user-features").name("user-features")
                .sinkTo(new DiscardingSink<>()).name("discard");
        return execute(env, name, events);
    }

    /** The same events through the same shuffle, without features: what the harness itself costs. */
    private Run passThrough(int users, long events, String name) throws Exception {
        StreamExecutionEnvironment env = environment(name);
        generatedEvents(env, users, events).keyBy(UserEvent::getUserId)
                .map(e -> e).returns(TypeInformation.of(UserEvent.class)).name("pass-through")
                .sinkTo(new DiscardingSink<>()).name("discard");
        return execute(env, name, events);
    }

    private Run flinkSql(int users, long events, String name) throws Exception {
        long spanMs = spanDays * 24L * 3600 * 1000;
        StreamExecutionEnvironment env = environment(name);
        RowTypeInfo rowType = new RowTypeInfo(
                new TypeInformation<?>[] {Types.STRING, Types.STRING, Types.LONG, Types.STRING, Types.DOUBLE},
                new String[] {"userId", "eventType", "eventTime", "itemId", "amount"});
        DataStream<Row> source = env.fromSource(
                new DataGeneratorSource<>((GeneratorFunction<Long, Row>) i -> row(i, users, events, spanMs), events, rowType),
                WatermarkStrategy.noWatermarks(), "events").uid("events");
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        tables.createTemporaryView("events", tables.fromDataStream(source, Schema.newBuilder()
                .columnByExpression("rowtime", "TO_TIMESTAMP_LTZ(eventTime, 3)")
                .watermark("rowtime", "rowtime - INTERVAL '5' SECOND")
                .build()));
        for (String query : peerQueries()) {
            Table features = tables.sqlQuery(query);
            tables.toDataStream(features).sinkTo(new DiscardingSink<>()).name("discard");
        }
        return execute(env, name, events);
    }

    /**
     * The feature stage's windowed aggregates as Flink SQL OVER windows: one query per window,
     * because Flink computes all aggregates of one query on the same window.
     */
    static List<String> peerQueries() {
        Map<String, String> windows = new LinkedHashMap<>();
        windows.put("5m", "INTERVAL '5' MINUTE");
        windows.put("1h", "INTERVAL '1' HOUR");
        windows.put("24h", "INTERVAL '24' HOUR");
        windows.put("7d", "INTERVAL '7' DAY");
        windows.put("30d", "INTERVAL '30' DAY");
        List<String> queries = new ArrayList<>();
        windows.forEach((name, range) -> {
            List<String> columns = new ArrayList<>();
            for (String type : TYPE_NAMES) {
                columns.add("SUM(CASE WHEN eventType = '" + type + "' THEN 1 ELSE 0 END) OVER w AS "
                        + type.toLowerCase(Locale.ROOT) + "_count_" + name);
            }
            columns.add("SUM(CASE WHEN eventType = 'ADD_TO_CART' THEN amount ELSE 0 END) OVER w AS cart_value_" + name);
            columns.add("SUM(CASE WHEN eventType = 'PURCHASE' THEN amount ELSE 0 END) OVER w AS purchase_value_" + name);
            columns.add("COUNT(DISTINCT itemId) OVER w AS distinct_items_" + name);
            queries.add("SELECT userId, eventTime, " + String.join(", ", columns) + " FROM events WINDOW w AS "
                    + "(PARTITION BY userId ORDER BY rowtime RANGE BETWEEN " + range + " PRECEDING AND CURRENT ROW)");
        });
        return queries;
    }

    /**
     * Runs the job to the end and measures the whole run: wall time and this process's CPU time,
     * start-up included (a couple of CPU-seconds, the same for both pipelines). Checkpoint statistics
     * are polled from the in-process cluster's REST API while the job runs.
     */
    private Run execute(StreamExecutionEnvironment env, String name, long events) throws Exception {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        System.gc();
        long cpu0 = os.getProcessCpuTime();
        long wall0 = System.nanoTime();
        JobClient job = env.executeAsync(name);
        HttpClient http = HttpClient.newHttpClient();
        String checkpointsUri = "http://localhost:" + restPort + "/jobs/" + job.getJobID() + "/checkpoints";
        JsonNode checkpoints = MAPPER.createObjectNode();
        var result = job.getJobExecutionResult();
        while (!result.isDone()) {
            try {
                JsonNode latest = get(http, checkpointsUri);
                if (latest.path("counts").path("completed").asInt() > 0) {
                    checkpoints = latest;
                }
            } catch (Exception e) {
                // not up yet, or already gone
            }
            Thread.sleep(500);
        }
        result.get();
        double wall = (System.nanoTime() - wall0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        return new Run(name, events, wall, cpu, checkpoints);
    }

    private static JsonNode get(HttpClient http, String uri) throws Exception {
        return MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Mean serialized size of a user's features (the RocksDB value) over a sample of users, offline. */
    static double serializedBytesPerUser(int users, long events, long spanMs) throws Exception {
        Map<String, UserFeatures> sample = new HashMap<>();
        for (long i = 0; i < events; i++) {
            String user = userOf(i, users);
            if (Math.floorMod(user.hashCode(), 100) != 0) {
                continue;
            }
            FeatureUpdater.apply(sample.computeIfAbsent(user, u -> new UserFeatures()), event(i, users, events, spanMs));
        }
        TypeSerializer<UserFeatures> serializer =
                TypeInformation.of(UserFeatures.class).createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(4096);
        long bytes = 0;
        for (UserFeatures features : sample.values()) {
            out.clear();
            serializer.serialize(features, out);
            bytes += out.length();
        }
        return (double) bytes / sample.size();
    }

    @Override
    public Integer call() throws Exception {
        long spanMs = spanDays * 24L * 3600 * 1000;
        if (flinkConfDir != null) {
            profileRocksDbOptions = rocksDbOptions(GlobalConfiguration.loadConfiguration(flinkConfDir.toString()).toMap());
        }
        Map<String, String> effective = new TreeMap<>(profileRocksDbOptions);
        effective.putAll(rocksDbOptions(flinkOptions));
        System.out.printf("state backend %s, RocksDB options %s%n", stateBackend, effective);
        System.out.printf("warming up (JIT) ...%n");
        ours(10_000, warmupEvents, "warmup-features");
        if (!noPeer) {
            flinkSql(10_000, 10_000, "warmup-flink-sql");
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (int users : userCounts) {
            long events = (long) users * eventsPerUser;
            Run run = ours(users, events, "features-" + users);
            double valueBytes = serializedBytesPerUser(users, events, spanMs);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("users", users);
            r.put("events", events);
            r.put("events_per_s", Math.round(events / run.wallSeconds));
            r.put("events_per_s_per_core", Math.round(run.eventsPerCpuSecond()));
            r.put("state_value_bytes_per_user", Math.round(valueBytes));
            JsonNode completed = run.checkpoints.path("latest").path("completed");
            long checkpointBytes = completed.path("state_size").asLong(-1);
            r.put("checkpoint_bytes", checkpointBytes);
            r.put("checkpoint_incremental_bytes", completed.path("checkpointed_size").asLong(-1));
            r.put("checkpoint_bytes_per_user", checkpointBytes < 0 ? -1 : Math.round((double) checkpointBytes / users));
            r.put("checkpoint_ms", completed.path("end_to_end_duration").asLong(-1));
            r.put("checkpoints_completed", run.checkpoints.path("counts").path("completed").asInt());
            r.put("checkpoint_ms_max", run.checkpoints.path("summary").path("end_to_end_duration").path("max").asLong(-1));
            print(run);
            if (baseline) {
                Run floor = passThrough(users, events, "pass-through-" + users);
                print(floor);
                r.put("pass_through_events_per_s_per_core", Math.round(floor.eventsPerCpuSecond()));
            }
            if (!noPeer) {
                long peerEvents = Math.min((long) users * peerEventsPerUser, peerMaxEvents);
                Run peer = flinkSql(users, peerEvents, "flink-sql-" + users);
                print(peer);
                r.put("flink_sql_events", peerEvents);
                r.put("flink_sql_events_per_s_per_core", Math.round(peer.eventsPerCpuSecond()));
                r.put("ratio_vs_flink_sql", round2(run.eventsPerCpuSecond() / peer.eventsPerCpuSecond()));
            }
            results.add(r);
        }
        System.out.println();
        String format = "%-9s %-10s %-10s %-14s %-18s %-7s %-13s %-13s %-14s%n";
        System.out.printf(format, "users", "events", "events/s", "events/s/core", "SQL events/s/core", "ratio",
                "value B/user", "ckpt B/user", "last ckpt ms");
        for (Map<String, Object> r : results) {
            System.out.printf(format, r.get("users"), r.get("events"),
                    r.get("events_per_s"), r.get("events_per_s_per_core"),
                    r.getOrDefault("flink_sql_events_per_s_per_core", "-"), r.getOrDefault("ratio_vs_flink_sql", "-"),
                    r.get("state_value_bytes_per_user"), r.get("checkpoint_bytes_per_user"), r.get("checkpoint_ms"));
        }
        Map<String, Object> last = results.get(results.size() - 1);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mode", "features");
        json.put("events_per_s_per_core", results.stream().mapToLong(r -> (Long) r.get("events_per_s_per_core")).min().orElse(0));
        json.put("ratio_vs_flink_sql", results.stream().mapToDouble(r -> (Double) r.getOrDefault("ratio_vs_flink_sql", 0.0))
                .min().orElse(0));
        json.put("state_bytes_per_user", last.get("state_value_bytes_per_user"));
        json.put("users", last.get("users"));
        json.put("runs", results);
        System.out.println(MAPPER.writeValueAsString(json));
        return 0;
    }

    private static void print(Run run) {
        System.out.printf(Locale.ROOT, "%-22s %,d events in %.1f s wall, %.1f s CPU: %,.0f events/s, "
                        + "%,.0f events per CPU-second%n",
                run.name, run.events, run.wallSeconds, run.cpuSeconds, run.events / run.wallSeconds,
                run.eventsPerCpuSecond());
    }

    private static double round2(double x) {
        return Math.round(x * 100) / 100.0;
    }
}
