package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.personalize.jobs.JobSettings;
import io.personalize.schema.DecisionAudit;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What scripts/upgrade.sh needs besides the Flink CLI: the running job's arguments (which the job
 * publishes as its global job parameters), and the check that state survived the upgrade.
 *
 * <p>The state check compares lifetime counters of users, as the decision-audit topic shows them (the
 * features every decision was made from): {@code orders}, {@code purchase_lines} and
 * {@code sessions} only grow, and a user's first decision after a start from empty state has each of
 * them at 1 at most. {@code before} runs once the old job has stopped with its savepoint: from the
 * last decisions it keeps the latest counters of every user who has one of them at 2 or more, and
 * where the topic ends. {@code after} reads the new job's decisions from there: a user's first
 * decision with counters at least as high as before shows the state was carried over; a lower one
 * shows it was not. It also checks with the Flink REST API that the new job restored the savepoint.
 */
@Command(name = "upgrade-check", mixinStandardHelpOptions = true,
        subcommands = {UpgradeCheck.JobArgs.class, UpgradeCheck.Before.class, UpgradeCheck.After.class},
        description = "The running job's arguments, and the check that its state survived an upgrade.")
public final class UpgradeCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final List<String> COUNTERS = List.of("orders", "purchase_lines", "sessions");

    private UpgradeCheck() {}

    public static void main(String[] args) {
        System.exit(new CommandLine(UpgradeCheck.class).execute(args));
    }

    @Command(name = "job-args", mixinStandardHelpOptions = true,
            description = "Prints the job's parallelism and then its arguments (--key value ...), NUL-separated.")
    static final class JobArgs implements Callable<Integer> {
        @Option(names = "--rest", required = true, description = "Flink REST API, e.g. http://localhost:8081") String rest;
        @Option(names = "--job-id", required = true) String jobId;

        @Override
        public Integer call() throws Exception {
            JsonNode config = get(rest + "/jobs/" + jobId + "/config").path("execution-config");
            JsonNode given = config.path("user-config");
            if (!given.isObject() || given.isEmpty()) {
                log("job %s publishes no arguments (submitted by an older version of the job?): "
                        + "give them after -- instead", jobId);
                return 2;
            }
            List<String> redacted = new ArrayList<>();
            given.fieldNames().forEachRemaining(k -> {
                if (JobSettings.REDACTED.equals(given.path(k).asText())) {
                    redacted.add(k);
                }
            });
            if (!redacted.isEmpty()) {
                log("the job's arguments %s hold secrets the job does not show: give all its arguments after -- instead",
                        redacted);
                return 2;
            }
            PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
            out.print(config.path("job-parallelism").asInt(-1));
            out.print('\0');
            given.fieldNames().forEachRemaining(k -> {
                out.print("--" + k);
                out.print('\0');
                out.print(given.path(k).asText());
                out.print('\0');
            });
            out.flush();
            return 0;
        }
    }

    @Command(name = "before", mixinStandardHelpOptions = true,
            description = "After the old job stopped: the latest counters of the users in its last decisions.")
    static final class Before implements Callable<Integer> {
        @Option(names = "--state", required = true, description = "Where to write what was seen.") Path state;
        @Option(names = "--tail", defaultValue = "20000",
                description = "Decision-audit records read per partition, from the end. Default: ${DEFAULT-VALUE}")
        int tail;
        @Parameters(description = "The job's arguments.") List<String> jobArgs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            JobSettings settings = JobSettings.fromArgs(jobArgs.toArray(String[]::new));
            String topic = auditTopic(settings);
            if (topic == null) {
                return 2;
            }
            Map<String, ObjectNode> users = new HashMap<>();
            Map<Integer, Long> ends = new LinkedHashMap<>();
            long read = 0;
            try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings)) {
                List<TopicPartition> partitions = partitions(consumer, topic);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
                for (TopicPartition p : partitions) {
                    ends.put(p.partition(), end.get(p));
                    consumer.seek(p, Math.max(begin.get(p), end.get(p) - tail));
                }
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        DecisionAudit audit = DecisionAudit.getDecoder().decode(r.value());
                        users.put(audit.getUserId(), counters(audit));
                        read++;
                    }
                }
            }
            ObjectNode out = JSON.createObjectNode();
            out.put("topic", topic);
            ObjectNode offsets = out.putObject("endOffsets");
            ends.forEach((p, o) -> offsets.put(Integer.toString(p), o));
            ObjectNode kept = out.putObject("users");
            users.entrySet().stream()
                    .filter(e -> COUNTERS.stream().anyMatch(c -> e.getValue().path(c).asDouble() >= 2))
                    .forEach(e -> kept.set(e.getKey(), e.getValue()));
            JSON.writerWithDefaultPrettyPrinter().writeValue(state.toFile(), out);
            log("%,d users in the last %,d decisions of %s; %,d of them with a lifetime counter (%s) of 2 or more, "
                    + "to compare after the upgrade", users.size(), read, topic, kept.size(), String.join(", ", COUNTERS));
            return kept.isEmpty() ? 3 : 0;
        }
    }

    @Command(name = "after", mixinStandardHelpOptions = true,
            description = "Checks the new job restored the savepoint and its users' counters carried on.")
    static final class After implements Callable<Integer> {
        @Option(names = "--state", required = true, description = "What 'before' wrote.") Path state;
        @Option(names = "--since", required = true, description = "When the new job was submitted (epoch ms).") long since;
        @Option(names = "--timeout", defaultValue = "300", description = "Seconds to wait for decisions. Default: ${DEFAULT-VALUE}")
        int timeoutSeconds;
        @Option(names = "--min-users", defaultValue = "3",
                description = "Users whose counters must be seen carrying on. Default: ${DEFAULT-VALUE}") int minUsers;
        @Option(names = "--probe-users", defaultValue = "0",
                description = "Send a VIEW event for this many of those users (test and staging clusters: it is "
                        + "real input to the job) instead of waiting for their own traffic. Default: ${DEFAULT-VALUE}")
        int probeUsers;
        @Option(names = "--rest", description = "Flink REST API, to check the new job restored --savepoint.") String rest;
        @Option(names = "--job-id", description = "The new job.") String jobId;
        @Option(names = "--savepoint", description = "The savepoint it must have started from.") String savepoint;
        @Parameters(description = "The job's arguments.") List<String> jobArgs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            JobSettings settings = JobSettings.fromArgs(jobArgs.toArray(String[]::new));
            if (rest != null && !restoredFromSavepoint()) {
                return 1;
            }
            JsonNode before = JSON.readTree(state.toFile());
            String topic = before.path("topic").asText();
            JsonNode users = before.path("users");
            int target = Math.min(minUsers, users.size());
            if (probeUsers > 0) {
                probe(settings, users);
            }
            Map<String, String> verdicts = new LinkedHashMap<>();
            int carried = 0;
            long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
            try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings)) {
                List<TopicPartition> partitions = partitions(consumer, topic);
                for (TopicPartition p : partitions) {
                    consumer.seek(p, before.path("endOffsets").path(Integer.toString(p.partition())).asLong(0));
                }
                while (carried < target && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        DecisionAudit audit = DecisionAudit.getDecoder().decode(r.value());
                        String user = audit.getUserId();
                        if (audit.getDecidedAt() < since || !users.has(user) || verdicts.containsKey(user)) {
                            continue; // only each known user's first decision by the new job
                        }
                        ObjectNode now = counters(audit);
                        String change = compare(users.get(user), now);
                        boolean kept = COUNTERS.stream().allMatch(c -> now.path(c).asDouble() >= users.get(user).path(c).asDouble());
                        verdicts.put(user, change);
                        log("user %s: %s: %s", user, change, kept ? "carried over" : "LOWER than before the upgrade");
                        if (!kept) {
                            log("FAILED: the new job does not have the state the old one had (started from empty state?)");
                            return 1;
                        }
                        carried++;
                    }
                }
            }
            if (carried >= target && target > 0) {
                log("PASSED: %d user(s) decided by the new job carried their lifetime counters on from the savepoint",
                        carried);
                return 0;
            }
            log("INCONCLUSIVE: %d of %d user(s) with state seen deciding within %d s (no input for them? "
                    + "use --probe-users on a test cluster, or a longer --verify-timeout)", carried, target, timeoutSeconds);
            return 3;
        }

        /** The REST API's account of what the new job restored (before it ran) must name the savepoint. */
        private boolean restoredFromSavepoint() throws Exception {
            long deadline = System.currentTimeMillis() + 30_000;
            while (true) {
                JsonNode restored = get(rest + "/jobs/" + jobId + "/checkpoints").path("latest").path("restored");
                if (!restored.isMissingNode() && !restored.isNull()) {
                    String path = restored.path("external_path").asText();
                    boolean same = savepoint == null || normalize(path).equals(normalize(savepoint));
                    log("job %s restored %s %s (%s)", jobId, restored.path("is_savepoint").asBoolean() ? "savepoint"
                            : "checkpoint", path, same ? "the one just taken" : "NOT " + savepoint);
                    return same && restored.path("is_savepoint").asBoolean();
                }
                if (System.currentTimeMillis() > deadline) {
                    log("FAILED: job %s reports no restored savepoint or checkpoint: it started from empty state", jobId);
                    return false;
                }
                Thread.sleep(1000);
            }
        }

        /** A VIEW of the item last shown to each of the users with the most purchase lines, just after their last event. */
        private void probe(JobSettings settings, JsonNode users) throws Exception {
            List<String> chosen = new ArrayList<>();
            users.fieldNames().forEachRemaining(chosen::add);
            chosen.sort(Comparator.comparingDouble((String u) -> -users.get(u).path("purchase_lines").asDouble())
                    .thenComparing(u -> u));
            chosen = chosen.subList(0, Math.min(probeUsers, chosen.size()));
            Properties props = new Properties();
            props.putAll(settings.kafkaProperties());
            try (EventReplayer replayer = new EventReplayer(settings.get(JobSettings.BOOTSTRAP_SERVERS),
                    settings.get(JobSettings.EVENTS_TOPIC), props)) {
                for (String user : chosen) {
                    JsonNode u = users.get(user);
                    UserEvent view = UserEvent.newBuilder().setEventId("upgrade-probe-" + since + "-" + user)
                            .setUserId(user).setEventType(EventType.VIEW).setEventTime(u.path("eventTime").asLong() + 1)
                            .setItemId(u.path("item").asText("85123A")).build();
                    replayer.send(user, MalformedRecords.encode(view));
                }
            }
            log("sent a VIEW event for %d user(s) to %s: %s", chosen.size(), settings.get(JobSettings.EVENTS_TOPIC), chosen);
        }
    }

    /** The lifetime counters a decision was made with, and what a probe needs. */
    static ObjectNode counters(DecisionAudit audit) {
        ObjectNode n = JSON.createObjectNode();
        n.put("orders", audit.getOrders());
        n.put("purchase_lines", feature(audit, "purchase_lines"));
        n.put("sessions", feature(audit, "sessions"));
        n.put("eventTime", audit.getEventTime());
        n.put("decidedAt", audit.getDecidedAt());
        if (!audit.getItems().isEmpty()) {
            n.put("item", audit.getItems().get(0));
        }
        return n;
    }

    private static double feature(DecisionAudit audit, String name) {
        Float value = audit.getFeatures().get(name);
        return value == null ? 0 : value;
    }

    static String compare(JsonNode before, JsonNode after) {
        List<String> parts = new ArrayList<>();
        for (String c : COUNTERS) {
            parts.add(String.format(Locale.ROOT, "%s %.0f -> %.0f", c, before.path(c).asDouble(), after.path(c).asDouble()));
        }
        return String.join(", ", parts);
    }

    private static String auditTopic(JobSettings settings) {
        String topic = settings.get(JobSettings.DECISION_AUDIT_TOPIC);
        if (topic.equals("none")) {
            log("the job runs with --decision-audit-topic none: no per-user features to compare");
            return null;
        }
        return topic;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(JobSettings settings) {
        Properties props = new Properties();
        props.putAll(settings.kafkaProperties());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.get(JobSettings.BOOTSTRAP_SERVERS));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "upgrade-check-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        return partitions;
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    private static String normalize(String path) {
        String p = path.replaceFirst("^file:(//)?", "");
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    private static void log(String format, Object... args) {
        System.err.println("upgrade-check: " + String.format(Locale.ROOT, format, args));
    }
}
