package io.personalize.jobs.tools;

import io.personalize.jobs.JobSettings;
import io.personalize.jobs.PersonalizationJob;
import io.personalize.schema.AuditRecord;
import io.personalize.schema.EventType;
import io.personalize.schema.ExperimentResult;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.ScoredItem;
import io.personalize.schema.UserEvent;
import io.personalize.schema.VariantResult;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A closed loop: the whole job runs on Kafka while simulated users respond to its decisions. Each
 * simulated user is a real Online Retail customer whose taste is the set of items they bought;
 * they visit (VIEW an item of their taste), get a decision, and buy with a probability that grows
 * with how many of the first ten items shown are to their taste. With {@code --broken-variant}, an
 * extra variation models a defect (its users buy a fifth as often while it runs), which the job's
 * guardrails should stop by themselves. The run compares the job's own live analysis (the last
 * experiment-results record) with the lift the simulator's probabilities imply.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Closed-loop simulation: simulated users respond to the job's decisions; prints the measured lift.")
public final class ClosedLoopSimulation implements Callable<Integer> {
    public static final String EXPERIMENT = "closed-loop";
    public static final String BROKEN = "broken";
    private static final int SHOWN = 10;
    private static final double BASE_PURCHASE = 0.03;
    private static final double TASTE_PURCHASE = 0.6;
    private static final double BROKEN_FACTOR = 0.2;

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092") String bootstrapServers;
    @Option(names = "--models-dir", required = true) Path modelsDir;
    @Option(names = "--users", defaultValue = "2000") int users;
    @Option(names = "--visits", defaultValue = "5", description = "Visits per user.") int visits;
    @Option(names = "--broken-variant", description = "Add a variation whose users buy a fifth as often (a defect).")
    boolean broken;
    @Option(names = "--seed", defaultValue = "2026") long seed;
    @Option(names = "--topic-prefix", description = "Topics of this run (default: sim-<time>-).") String topicPrefix;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ClosedLoopSimulation()).execute(args));
    }

    /** What the simulator knows, and what the job measured. */
    public record Outcome(ExperimentResult measured, Map<String, Double> expectedConversionRate,
            List<AuditRecord> audit, List<PersonalizationDecision> decisions) {}

    /** The topics of a run, by the job option that names each. */
    private static final Map<String, String> TOPICS = Map.ofEntries(Map.entry("events-topic", "user-events"),
            Map.entry("decisions-topic", "decisions"), Map.entry("assignments-topic", "experiment-assignments"),
            Map.entry("dead-letter-topic", "dead-letters"), Map.entry("control-topic", "control"),
            Map.entry("audit-topic", "audit"), Map.entry("late-events-topic", "late-events"),
            Map.entry("monitoring-topic", "model-monitoring"), Map.entry("experiment-results-topic", "experiment-results"),
            Map.entry("review-topic", "decisions-for-review"), Map.entry("decision-audit-topic", "decision-audit"));

    @Override
    public Integer call() throws Exception {
        String prefix = topicPrefix != null ? topicPrefix : "sim-" + System.currentTimeMillis() + "-";
        Configuration cluster = new Configuration();
        cluster.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        cluster.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "file://" + System.getProperty("java.io.tmpdir")
                + "/personalize-simulation-checkpoints");
        Outcome outcome = run(bootstrapServers, modelsDir, prefix, users, visits, broken, seed, cluster);
        System.out.println(report(outcome));
        return 0;
    }

    public static Map<String, String> jobOptions(String bootstrap, Path models, String prefix, boolean broken) {
        Map<String, String> values = new HashMap<>();
        TOPICS.forEach((option, topic) -> values.put(option, prefix + topic));
        values.put("bootstrap-servers", bootstrap);
        values.put("models-dir", models.toString());
        values.put("group-id", prefix + "personalize");
        values.put("starting-offsets", "earliest");
        values.put("source-idleness", "1 s");
        values.put("experiment.key", EXPERIMENT);
        values.put("experiment.variations", broken ? "control;personalized;" + BROKEN : "control;personalized");
        values.put("experiment.report-interval", "1 s");
        return values;
    }

    public static Outcome run(String bootstrap, Path models, String prefix, int users, int visits, boolean broken,
            long seed, Configuration cluster) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(TOPICS.values().stream().map(t -> new NewTopic(prefix + t, 2, (short) 1)).toList()).all().get();
        }
        JobSettings settings = JobSettings.fromMap(jobOptions(bootstrap, models, prefix, broken));
        Configuration config = PersonalizationJob.environmentConfig(settings);
        config.addAll(cluster);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        env.enableCheckpointing(1_000);
        PersonalizationJob.defineWorkflow(env, PersonalizationJob.sources(settings), PersonalizationJob.kafkaSinks(settings),
                settings);
        JobClient job = env.executeAsync("closed-loop-simulation");
        try (Simulator simulator = new Simulator(bootstrap, prefix, tastes(users, seed), seed, broken)) {
            for (int visit = 0; visit < visits; visit++) {
                simulator.visitAll();
            }
            long exposed = simulator.variantOf.size();
            simulator.await(prefix + "experiment-results", ExperimentResult.getDecoder()::decode,
                    results -> !results.isEmpty() && last(results).getExposures() >= exposed, Duration.ofSeconds(60));
            // the last purchases are still on their way: wait until the analysis stops changing
            ExperimentResult measured = null;
            for (long stable = 0; stable < 3; ) {
                Thread.sleep(1_000);
                List<ExperimentResult> results = simulator.readAll(prefix + "experiment-results",
                        ExperimentResult.getDecoder()::decode);
                ExperimentResult latest = last(results);
                stable = measured != null && conversions(latest) == conversions(measured) ? stable + 1 : 0;
                measured = latest;
            }
            List<AuditRecord> audit = simulator.readAll(prefix + "audit", AuditRecord.getDecoder()::decode);
            return new Outcome(measured, simulator.expectedConversionRates(), audit, simulator.decisions);
        } finally {
            job.cancel().get();
        }
    }

    private static ExperimentResult last(List<ExperimentResult> results) {
        return results.get(results.size() - 1);
    }

    private static long conversions(ExperimentResult result) {
        return result.getVariants().stream().mapToLong(VariantResult::getConversions).sum();
    }

    /** Each simulated user: a real customer's id and the items they bought, with a price for each. */
    static List<Map.Entry<String, Map<String, Double>>> tastes(int users, long seed) throws Exception {
        Map<String, Map<String, Double>> byCustomer = new TreeMap<>();
        for (UserEvent e : OnlineRetailEvents.load(OnlineRetailEvents.defaultFile()).events()) {
            if (e.getEventType() == EventType.PURCHASE && e.getItemId() != null && e.getPrice() != null) {
                byCustomer.computeIfAbsent(e.getUserId(), u -> new LinkedHashMap<>()).put(e.getItemId(), e.getPrice());
            }
        }
        List<Map.Entry<String, Map<String, Double>>> eligible = byCustomer.entrySet().stream()
                .filter(c -> c.getValue().size() >= 8).collect(Collectors.toCollection(ArrayList::new));
        java.util.Collections.shuffle(eligible, new java.util.Random(seed));
        if (eligible.size() < users) {
            throw new IllegalArgumentException("only " + eligible.size() + " customers bought 8 or more items");
        }
        return eligible.subList(0, users);
    }

    public static String report(Outcome o) {
        StringBuilder out = new StringBuilder();
        ExperimentResult r = o.measured();
        out.append(String.format(Locale.ROOT, "experiment %s: %d users exposed, SRM p=%s%n", r.getExperimentKey(),
                r.getExposures(), r.getSrmPValue() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.getSrmPValue())));
        out.append(String.format(Locale.ROOT, "%-13s %7s %7s %9s %9s %29s %10s %10s  %s%n", "variant", "users", "conv",
                "rate", "expected", "lift [95% CI]", "p", "always-valid", "stopped"));
        StringBuilder json = new StringBuilder("{\"mode\":\"closed-loop\",\"exposures\":" + r.getExposures()
                + ",\"variants\":{");
        for (VariantResult v : r.getVariants()) {
            double expected = o.expectedConversionRate().getOrDefault(v.getVariant(), Double.NaN);
            out.append(String.format(Locale.ROOT, "%-13s %7d %7d %9.4f %9.4f %29s %10s %10s  %s%n", v.getVariant(),
                    v.getUsers(), v.getConversions(), v.getConversionRate(), expected,
                    v.getLift() == null ? "-" : String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]", v.getLift(),
                            v.getLiftCiLow(), v.getLiftCiHigh()),
                    v.getPValue() == null ? "-" : String.format(Locale.ROOT, "%.2g", v.getPValue()),
                    v.getSequentialPValue() == null ? "-" : String.format(Locale.ROOT, "%.2g", v.getSequentialPValue()),
                    v.getStopped() ? v.getStopReason() : ""));
            json.append(String.format(Locale.ROOT, "%s\"%s\":{\"users\":%d,\"conversions\":%d,\"expected_rate\":%.5f,"
                    + "\"lift\":%s,\"lift_ci_low\":%s,\"lift_ci_high\":%s,\"stopped\":%s}",
                    json.charAt(json.length() - 1) == '{' ? "" : ",", v.getVariant(), v.getUsers(), v.getConversions(),
                    expected, v.getLift(), v.getLiftCiLow(), v.getLiftCiHigh(), v.getStopped()));
        }
        o.audit().stream().filter(a -> a.getKind().equals("GUARDRAIL_STOP"))
                .forEach(a -> out.append("guardrail: ").append(a.getDetail()).append('\n'));
        return out.append(json).append("}}").toString();
    }

    /** Simulated users on the job's input and output topics. */
    static final class Simulator implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final KafkaConsumer<byte[], byte[]> decisionsConsumer;
        private final String prefix;
        private final List<Map.Entry<String, Map<String, Double>>> tastes;
        private final SplittableRandom random;
        private final long seed;
        private int visit;
        private final boolean broken;
        private final String bootstrap;
        final Map<String, String> variantOf = new HashMap<>();
        private final Map<String, Double> notConvertedProbability = new HashMap<>();
        final List<PersonalizationDecision> decisions = new ArrayList<>();
        private long eventCount;

        Simulator(String bootstrap, String prefix, List<Map.Entry<String, Map<String, Double>>> tastes, long seed,
                boolean broken) {
            this.bootstrap = bootstrap;
            this.prefix = prefix;
            this.tastes = tastes;
            this.random = new SplittableRandom(seed);
            this.seed = seed;
            this.broken = broken;
            Properties props = new Properties();
            props.put("bootstrap.servers", bootstrap);
            props.put("enable.idempotence", "false");
            props.put("max.in.flight.requests.per.connection", "1");
            producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
            decisionsConsumer = consumer(bootstrap, prefix + "decisions");
        }

        /** Every user visits once; their decisions come back and each user buys or not. */
        void visitAll() throws Exception {
            visit++;
            Map<String, Map.Entry<String, Map<String, Double>>> pending = new HashMap<>();
            long now = System.currentTimeMillis();
            for (Map.Entry<String, Map<String, Double>> user : tastes) {
                List<String> items = new ArrayList<>(user.getValue().keySet());
                UserEvent view = event(user.getKey(), EventType.VIEW, items.get(random.nextInt(items.size())), null, now);
                pending.put(view.getEventId(), user);
                send(view);
            }
            producer.flush();
            long deadline = System.currentTimeMillis() + 120_000;
            while (!pending.isEmpty()) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(pending.size() + " visits got no decision within 120 s");
                }
                for (ConsumerRecord<byte[], byte[]> record : decisionsConsumer.poll(Duration.ofMillis(200))) {
                    PersonalizationDecision d = PersonalizationDecision.getDecoder().decode(record.value());
                    var user = pending.remove(d.getTriggerEventId());
                    if (user != null) {
                        decisions.add(d);
                        respond(user, d);
                    }
                }
            }
            producer.flush();
        }

        private void respond(Map.Entry<String, Map<String, Double>> user, PersonalizationDecision d) throws Exception {
            String id = user.getKey();
            Map<String, Double> taste = user.getValue();
            List<ScoredItem> shown = d.getItems().subList(0, Math.min(SHOWN, d.getItems().size()));
            long liked = shown.stream().filter(i -> taste.containsKey(i.getItemId())).count();
            boolean stopped = d.getReasons().stream().anyMatch(reason -> reason.startsWith("VARIANT_STOPPED"));
            double p = BASE_PURCHASE + TASTE_PURCHASE * liked / SHOWN;
            if (broken && BROKEN.equals(d.getVariant()) && !stopped) {
                p *= BROKEN_FACTOR;
            }
            if (d.getVariant() != null && !stopped) {
                variantOf.putIfAbsent(id, d.getVariant());
                notConvertedProbability.merge(id, 1 - p, (a, b) -> a * b);
            }
            // each user's draws are their own: the order decisions come back in (timing) does not change them
            SplittableRandom draws = new SplittableRandom(31L * (31L * seed + id.hashCode()) + visit);
            if (draws.nextDouble() < p) {
                List<String> liking = shown.stream().map(ScoredItem::getItemId).filter(taste::containsKey).toList();
                String item = liking.isEmpty() ? new ArrayList<>(taste.keySet()).get(draws.nextInt(taste.size()))
                        : liking.get(draws.nextInt(liking.size()));
                send(event(id, EventType.PURCHASE, item, taste.get(item), System.currentTimeMillis()));
            }
        }

        /** Per variant, the user conversion rate the simulator's probabilities imply for the visits made. */
        Map<String, Double> expectedConversionRates() {
            Map<String, double[]> sums = new TreeMap<>();
            notConvertedProbability.forEach((user, q) -> {
                double[] s = sums.computeIfAbsent(variantOf.get(user), v -> new double[2]);
                s[0] += 1 - q;
                s[1]++;
            });
            Map<String, Double> rates = new TreeMap<>();
            sums.forEach((variant, s) -> rates.put(variant, s[0] / s[1]));
            return rates;
        }

        private UserEvent event(String user, EventType type, String item, Double price, long time) {
            return UserEvent.newBuilder().setEventId("sim-" + (eventCount++)).setUserId(user).setEventType(type)
                    .setEventTime(time).setItemId(item).setPrice(price).setQuantity(price == null ? null : 1).build();
        }

        private void send(UserEvent event) throws Exception {
            ByteBuffer value = event.toByteBuffer();
            byte[] bytes = new byte[value.remaining()];
            value.get(bytes);
            producer.send(new ProducerRecord<>(prefix + "user-events", event.getUserId().getBytes(StandardCharsets.UTF_8),
                    bytes));
        }

        interface Decoder<T> {
            T decode(byte[] bytes) throws Exception;
        }

        <T> List<T> readAll(String topic, Decoder<T> decoder) throws Exception {
            List<T> out = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, topic)) {
                for (int empty = 0; empty < 3; ) {
                    var records = consumer.poll(Duration.ofMillis(300));
                    empty = records.isEmpty() ? empty + 1 : 0;
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        out.add(decoder.decode(r.value()));
                    }
                }
            }
            return out;
        }

        <T> List<T> await(String topic, Decoder<T> decoder, Predicate<List<T>> done, Duration timeout) throws Exception {
            long deadline = System.currentTimeMillis() + timeout.toMillis();
            List<T> seen = readAll(topic, decoder);
            while (!done.test(seen)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("no complete result on " + topic + " within " + timeout);
                }
                Thread.sleep(500);
                seen = readAll(topic, decoder);
            }
            return seen;
        }

        private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String topic) {
            Properties props = new Properties();
            props.put("bootstrap.servers", bootstrap);
            KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            return consumer;
        }

        @Override
        public void close() {
            producer.close();
            decisionsConsumer.close();
        }
    }
}
