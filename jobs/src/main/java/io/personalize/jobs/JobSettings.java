package io.personalize.jobs;

import io.personalize.schema.Action;
import io.personalize.udfs.bandit.LinearBandit;
import io.personalize.udfs.decision.PolicyRules;
import io.personalize.udfs.experiment.AnalysisSettings;
import io.personalize.udfs.experiment.Experiment;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.ingest.EventDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.util.ParameterTool;
import org.apache.flink.util.TimeUtils;

/**
 * The job's typed configuration: every option with its default and description, parsed from
 * {@code --key value} arguments and validated before anything is built, with one clear message per
 * wrong or missing value. Options starting with {@code kafka.properties.} pass through to the Kafka
 * clients (security settings such as SASL/SSL go there).
 */
public final class JobSettings {
    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("bootstrap-servers")
            .stringType().defaultValue("localhost:9092").withDescription("Kafka bootstrap servers.");
    public static final ConfigOption<String> EVENTS_TOPIC = ConfigOptions.key("events-topic")
            .stringType().defaultValue("user-events").withDescription("Input topic of UserEvent records.");
    public static final ConfigOption<String> DECISIONS_TOPIC = ConfigOptions.key("decisions-topic")
            .stringType().defaultValue("decisions").withDescription("Output topic of PersonalizationDecision records.");
    public static final ConfigOption<String> ASSIGNMENTS_TOPIC = ConfigOptions.key("assignments-topic")
            .stringType().defaultValue("experiment-assignments")
            .withDescription("Output topic of ExperimentAssignment (exposure) records.");
    public static final ConfigOption<String> DEAD_LETTER_TOPIC = ConfigOptions.key("dead-letter-topic")
            .stringType().defaultValue("dead-letters").withDescription("Output topic of DeadLetter records.");
    public static final ConfigOption<String> CONTROL_TOPIC = ConfigOptions.key("control-topic")
            .stringType().defaultValue("control")
            .withDescription("Input topic of ControlEvent commands (ERASE_USER); none: no control input.");
    public static final ConfigOption<String> AUDIT_TOPIC = ConfigOptions.key("audit-topic")
            .stringType().defaultValue("audit").withDescription("Output topic of AuditRecord records (erasures, refused commands).");
    public static final ConfigOption<String> LATE_EVENTS_TOPIC = ConfigOptions.key("late-events-topic")
            .stringType().defaultValue("late-events")
            .withDescription("Output topic of LateEvent records: events too late for some feature windows.");
    public static final ConfigOption<String> FEATURES_TOPIC = ConfigOptions.key("features-topic")
            .stringType().noDefaultValue()
            .withDescription("Optional output topic of FeatureSnapshot records: every event's features as served.");
    public static final ConfigOption<String> MONITORING_TOPIC = ConfigOptions.key("monitoring-topic")
            .stringType().defaultValue("model-monitoring")
            .withDescription("Output topic of ModelMonitoring records: each model's volume, failures, drift (PSI) and "
                    + "shadow agreement per scoring subtask and report interval.");
    public static final ConfigOption<Duration> MODEL_REPORT_INTERVAL = ConfigOptions.key("model-report-interval")
            .durationType().defaultValue(Duration.ofSeconds(60))
            .withDescription("How often each scoring subtask reports its model's drift and shadow agreement.");
    public static final ConfigOption<String> INPUT_FILES = ConfigOptions.key("input-files")
            .stringType().noDefaultValue()
            .withDescription("Bounded run over event files instead of the events topic: comma-separated files or "
                    + "folders of Avro container files or JSON lines (backfills, backtests). No control input.");
    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("group-id")
            .stringType().defaultValue("personalize").withDescription("Kafka consumer group of the source.");
    public static final ConfigOption<String> STARTING_OFFSETS = ConfigOptions.key("starting-offsets")
            .stringType().defaultValue("committed-or-earliest")
            .withDescription("Where a fresh job starts reading: earliest, latest, or committed-or-earliest.");
    public static final ConfigOption<String> MODELS_DIR = ConfigOptions.key("models-dir")
            .stringType().noDefaultValue()
            .withDescription("Model registry folder (written by scripts/train-models.sh); must be readable by every TaskManager.");
    public static final ConfigOption<Duration> MAX_OUT_OF_ORDERNESS = ConfigOptions.key("max-out-of-orderness")
            .durationType().defaultValue(Duration.ofSeconds(5)).withDescription("Watermark bound on event-time disorder.");
    public static final ConfigOption<Duration> SOURCE_IDLENESS = ConfigOptions.key("source-idleness")
            .durationType().defaultValue(Duration.ofSeconds(30))
            .withDescription("A partition without events for this long stops holding back the watermark (0: never).");
    public static final ConfigOption<Integer> MAX_EVENT_BYTES = ConfigOptions.key("max-event-bytes")
            .intType().defaultValue(64 * 1024).withDescription("Larger input records (key and value together) go to the "
                    + "dead-letter topic, which keeps at most this many bytes of each; three times it must fit the "
                    + "producer's max.request.size.");
    public static final ConfigOption<String> EVENTS_WRITER_SCHEMAS = ConfigOptions.key("events-writer-schemas")
            .stringType().noDefaultValue()
            .withDescription("A folder of other UserEvent schema versions (.avsc) that producers write with; "
                    + "their records are read as the current UserEvent instead of becoming UNKNOWN_SCHEMA dead letters.");
    public static final ConfigOption<Duration> STATE_TTL = ConfigOptions.key("state-ttl")
            .durationType().defaultValue(Duration.ofDays(90))
            .withDescription("A user's features expire after this long without events (0: never).");
    public static final ConfigOption<Duration> MODEL_TIMEOUT = ConfigOptions.key("model-timeout")
            .durationType().defaultValue(Duration.ofMillis(500))
            .withDescription("A model that has not answered by then is skipped and the decision falls back.");
    public static final ConfigOption<Integer> MODEL_CAPACITY = ConfigOptions.key("model-capacity")
            .intType().defaultValue(1000).withDescription("Events in flight per scoring subtask (async capacity).");
    public static final ConfigOption<Integer> MODEL_REQUEST_EVENTS = ConfigOptions.key("model-request-events")
            .intType().defaultValue(64)
            .withDescription("Events per async scoring request: consecutive events go to a model together.");
    public static final ConfigOption<Duration> MODEL_REQUEST_DELAY = ConfigOptions.key("model-request-delay")
            .durationType().defaultValue(Duration.ofMillis(2))
            .withDescription("Longest an event waits for others to share its scoring request (latency vs. throughput).");
    public static final ConfigOption<Integer> MODEL_BATCH_SIZE = ConfigOptions.key("model-batch-size")
            .intType().defaultValue(256).withDescription("Largest micro-batch handed to a model.");
    public static final ConfigOption<Integer> MODEL_PARALLELISM = ConfigOptions.key("model-parallelism")
            .intType().defaultValue(-1).withDescription("Parallelism of the scoring operator (-1: the job's).");
    public static final ConfigOption<String> EXPERIMENT_KEY = ConfigOptions.key("experiment.key")
            .stringType().defaultValue("personalization-v1").withDescription("Experiment key (GrowthBook seed).");
    public static final ConfigOption<List<String>> EXPERIMENT_VARIATIONS = ConfigOptions.key("experiment.variations")
            .stringType().asList().defaultValues("control", "personalized")
            .withDescription("Variation keys; the first is control (non-personalized).");
    public static final ConfigOption<List<Double>> EXPERIMENT_WEIGHTS = ConfigOptions.key("experiment.weights")
            .doubleType().asList().noDefaultValue().withDescription("Traffic weights summing to 1 (default: equal).");
    public static final ConfigOption<Double> EXPERIMENT_COVERAGE = ConfigOptions.key("experiment.coverage")
            .doubleType().defaultValue(1.0).withDescription("Share of users in the experiment, 0..1.");
    public static final ConfigOption<Integer> EXPERIMENT_HASH_VERSION = ConfigOptions.key("experiment.hash-version")
            .intType().defaultValue(2).withDescription("GrowthBook hash version, 1 or 2.");
    public static final ConfigOption<String> EXPERIMENT_RESULTS_TOPIC = ConfigOptions.key("experiment-results-topic")
            .stringType().defaultValue("experiment-results")
            .withDescription("Output topic of ExperimentResult records: each experiment's live analysis.");
    public static final ConfigOption<Duration> EXPERIMENT_REPORT_INTERVAL = ConfigOptions.key("experiment.report-interval")
            .durationType().defaultValue(Duration.ofSeconds(5))
            .withDescription("How often each experiment's analysis is emitted (when it changed) and its guardrails checked.");
    public static final ConfigOption<Double> EXPERIMENT_SEQUENTIAL_TAU = ConfigOptions.key("experiment.sequential-tau")
            .doubleType().defaultValue(0.2)
            .withDescription("Scale of the relative lifts the always-valid test expects (its N(0, tau^2) mixture).");
    public static final ConfigOption<Double> GUARDRAIL_MAX_CONVERSION_DROP = ConfigOptions
            .key("experiment.guardrail.max-conversion-drop").doubleType().defaultValue(0.15)
            .withDescription("A variant whose conversion is down by more than this share, significantly, is stopped.");
    public static final ConfigOption<Double> GUARDRAIL_ALPHA = ConfigOptions.key("experiment.guardrail.alpha")
            .doubleType().defaultValue(0.05)
            .withDescription("Always-valid p-value below which a guardrail's drop counts as significant.");
    public static final ConfigOption<Integer> GUARDRAIL_MIN_USERS = ConfigOptions.key("experiment.guardrail.min-users")
            .intType().defaultValue(100).withDescription("Users every variant needs before the guardrails act.");
    public static final ConfigOption<Double> GUARDRAIL_SRM_P_VALUE = ConfigOptions.key("experiment.guardrail.srm-p-value")
            .doubleType().defaultValue(0.001)
            .withDescription("Sample-ratio-mismatch p-value below which every non-control variant is stopped.");
    public static final ConfigOption<String> REVIEW_TOPIC = ConfigOptions.key("review-topic")
            .stringType().defaultValue("decisions-for-review")
            .withDescription("Output topic of personalized decisions held back for review (--decision.low-confidence REVIEW).");
    public static final ConfigOption<String> DECISION_AUDIT_TOPIC = ConfigOptions.key("decision-audit-topic")
            .stringType().defaultValue("decision-audit")
            .withDescription("Output topic of DecisionAudit records: every decision's inputs, model versions and scores, "
                    + "eligible actions, policy and reasons; none: not written.");
    public static final ConfigOption<List<Action>> ACTIONS = ConfigOptions.key("decision.actions")
            .enumType(Action.class).asList().defaultValues(Action.values())
            .withDescription("Actions personalized decisions may take (NO_ACTION always may).");
    public static final ConfigOption<Integer> MAX_MESSAGES_PER_DAY = ConfigOptions.key("decision.max-messages-per-day")
            .intType().defaultValue(2).withDescription("Frequency cap: messages (offers, follow-ups) per user per 24 h.");
    public static final ConfigOption<Duration> MESSAGE_COOLDOWN = ConfigOptions.key("decision.message-cooldown")
            .durationType().defaultValue(Duration.ofDays(3))
            .withDescription("Least time between two messages of the same kind to a user.");
    public static final ConfigOption<Duration> SUPPRESS_AFTER_PURCHASE = ConfigOptions.key("decision.suppress-after-purchase")
            .durationType().defaultValue(Duration.ofDays(7))
            .withDescription("No retention offer this long after the user's last purchase.");
    public static final ConfigOption<Duration> SUPPRESS_AFTER_NEGATIVE_REVIEW = ConfigOptions
            .key("decision.suppress-after-negative-review").durationType().defaultValue(Duration.ofDays(14))
            .withDescription("No retention offer this long after the user's last negative review.");
    public static final ConfigOption<Double> MIN_CONFIDENCE = ConfigOptions.key("decision.min-confidence")
            .doubleType().defaultValue(0.0)
            .withDescription("A personalized decision whose driving model is less sure than this (max(p, 1-p)) "
                    + "is replaced by the default; 0: off.");
    public static final ConfigOption<PolicyRules.LowConfidence> LOW_CONFIDENCE = ConfigOptions
            .key("decision.low-confidence").enumType(PolicyRules.LowConfidence.class)
            .defaultValue(PolicyRules.LowConfidence.DEFAULT)
            .withDescription("DEFAULT: the user gets the default; REVIEW: also send the personalized one to --review-topic.");
    public static final ConfigOption<String> BANDIT_VARIANT = ConfigOptions.key("decision.bandit-variant")
            .stringType().defaultValue("bandit")
            .withDescription("Users in an experiment variation with this key get actions chosen by the contextual bandit.");
    public static final ConfigOption<Double> BANDIT_EPSILON = ConfigOptions.key("decision.bandit.epsilon")
            .doubleType().defaultValue(0.1).withDescription("Share of bandit decisions explored uniformly.");
    public static final ConfigOption<Double> BANDIT_EXPLORATION = ConfigOptions.key("decision.bandit.exploration")
            .doubleType().defaultValue(0.5).withDescription("LinUCB's alpha: width of the upper confidence bound.");
    public static final ConfigOption<Double> BANDIT_RIDGE = ConfigOptions.key("decision.bandit.ridge")
            .doubleType().defaultValue(1.0).withDescription("Ridge (prior precision) of each action's regression.");
    public static final ConfigOption<Duration> ATTRIBUTION_WINDOW = ConfigOptions.key("decision.attribution-window")
            .durationType().defaultValue(Duration.ofHours(1))
            .withDescription("A click or purchase this soon after a bandit decision rewards it (event time).");
    public static final ConfigOption<Duration> BANDIT_PUBLISH_INTERVAL = ConfigOptions.key("decision.bandit.publish-interval")
            .durationType().defaultValue(Duration.ofSeconds(2))
            .withDescription("How often the bandit's learner shares its statistics with every decision subtask.");
    public static final ConfigOption<Double> RETENTION_THRESHOLD = ConfigOptions.key("decision.retention-threshold")
            .doubleType().defaultValue(0.2)
            .withDescription("Repeat customers whose purchase propensity is below this get a retention offer.");
    public static final ConfigOption<Integer> MAX_ITEMS = ConfigOptions.key("decision.max-items")
            .intType().defaultValue(20).withDescription("Items per decision.");
    /**
     * How every output topic is written: at least once (records go out at once; a failover replays
     * what came after the last checkpoint, with the same ids), or exactly once (each Kafka sink writes
     * in transactions committed with the checkpoints; consumers read {@code read_committed}).
     */
    public enum Delivery {
        AT_LEAST_ONCE(DeliveryGuarantee.AT_LEAST_ONCE),
        EXACTLY_ONCE(DeliveryGuarantee.EXACTLY_ONCE);

        public final DeliveryGuarantee guarantee;

        Delivery(DeliveryGuarantee guarantee) {
            this.guarantee = guarantee;
        }
    }

    public static final ConfigOption<Delivery> DELIVERY_GUARANTEE = ConfigOptions.key("delivery-guarantee")
            .enumType(Delivery.class).defaultValue(Delivery.AT_LEAST_ONCE)
            .withDescription("AT_LEAST_ONCE (low latency, deterministic ids) or EXACTLY_ONCE (Kafka transactions).");
    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("transactional-id-prefix")
            .stringType().defaultValue("personalize").withDescription("Kafka transactional id prefix (EXACTLY_ONCE).");
    public static final ConfigOption<Integer> MAX_PARALLELISM = ConfigOptions.key("max-parallelism")
            .intType().defaultValue(720).withDescription("Key groups; fixed for the life of the job's savepoints.");
    public static final ConfigOption<Duration> BUFFER_TIMEOUT = ConfigOptions.key("buffer-timeout")
            .durationType().defaultValue(Duration.ofMillis(5))
            .withDescription("Longest time a record waits in a network buffer between operators (latency vs. throughput).");
    public static final ConfigOption<String> JOB_NAME = ConfigOptions.key("job-name")
            .stringType().defaultValue("personalization").withDescription("Name shown in the Flink web UI.");

    public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";

    static final List<ConfigOption<?>> ALL = List.of(BOOTSTRAP_SERVERS, EVENTS_TOPIC, DECISIONS_TOPIC,
            ASSIGNMENTS_TOPIC, DEAD_LETTER_TOPIC, CONTROL_TOPIC, AUDIT_TOPIC, LATE_EVENTS_TOPIC, FEATURES_TOPIC,
            MONITORING_TOPIC, MODEL_REPORT_INTERVAL,
            INPUT_FILES, GROUP_ID, STARTING_OFFSETS, MODELS_DIR, MAX_OUT_OF_ORDERNESS,
            SOURCE_IDLENESS, MAX_EVENT_BYTES, EVENTS_WRITER_SCHEMAS, STATE_TTL, MODEL_TIMEOUT, MODEL_CAPACITY, MODEL_REQUEST_EVENTS, MODEL_REQUEST_DELAY, MODEL_BATCH_SIZE,
            MODEL_PARALLELISM, EXPERIMENT_KEY, EXPERIMENT_VARIATIONS, EXPERIMENT_WEIGHTS, EXPERIMENT_COVERAGE,
            EXPERIMENT_HASH_VERSION, EXPERIMENT_RESULTS_TOPIC, EXPERIMENT_REPORT_INTERVAL, EXPERIMENT_SEQUENTIAL_TAU,
            GUARDRAIL_MAX_CONVERSION_DROP, GUARDRAIL_ALPHA, GUARDRAIL_MIN_USERS, GUARDRAIL_SRM_P_VALUE, REVIEW_TOPIC, DECISION_AUDIT_TOPIC, ACTIONS,
            MAX_MESSAGES_PER_DAY, MESSAGE_COOLDOWN, SUPPRESS_AFTER_PURCHASE, SUPPRESS_AFTER_NEGATIVE_REVIEW, MIN_CONFIDENCE,
            LOW_CONFIDENCE, BANDIT_VARIANT, BANDIT_EPSILON, BANDIT_EXPLORATION, BANDIT_RIDGE, ATTRIBUTION_WINDOW,
            BANDIT_PUBLISH_INTERVAL, RETENTION_THRESHOLD, MAX_ITEMS, DELIVERY_GUARANTEE, TRANSACTIONAL_ID_PREFIX,
            MAX_PARALLELISM, BUFFER_TIMEOUT, JOB_NAME);

    private final Configuration config;

    private JobSettings(Configuration config) {
        this.config = config;
    }

    /** Parses {@code --key value} arguments; throws {@link InvalidSettingsException} listing every problem. */
    public static JobSettings fromArgs(String[] args) {
        Map<String, String> map;
        try {
            map = ParameterTool.fromArgs(args).toMap();
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingsException(List.of(e.getMessage()));
        }
        return fromMap(map);
    }

    public static JobSettings fromMap(Map<String, String> values) {
        List<String> problems = new ArrayList<>();
        Set<String> known = new HashSet<>();
        ALL.forEach(option -> known.add(option.key()));
        for (String key : values.keySet()) {
            if (!known.contains(key) && !key.startsWith(KAFKA_PROPERTIES_PREFIX)) {
                problems.add("unknown option --" + key + " (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
        Configuration config = Configuration.fromMap(values);
        for (ConfigOption<?> option : ALL) {
            try {
                config.get(option);
            } catch (RuntimeException e) {
                problems.add("--" + option.key() + " '" + values.get(option.key()) + "' is not valid: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(problems);
        }
        JobSettings settings = new JobSettings(config);
        settings.validate(problems);
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(problems);
        }
        return settings;
    }

    private void validate(List<String> problems) {
        String modelsDir = config.get(MODELS_DIR);
        if (modelsDir == null || modelsDir.isBlank()) {
            problems.add("--models-dir is required: the model registry folder written by scripts/train-models.sh");
        }
        if (config.get(BOOTSTRAP_SERVERS).isBlank()) {
            problems.add("--bootstrap-servers is empty");
        }
        for (ConfigOption<String> topic : List.of(EVENTS_TOPIC, DECISIONS_TOPIC, ASSIGNMENTS_TOPIC, DEAD_LETTER_TOPIC,
                AUDIT_TOPIC, LATE_EVENTS_TOPIC, MONITORING_TOPIC)) {
            if (config.get(topic).isBlank()) {
                problems.add("--" + topic.key() + " is empty");
            }
        }
        if (!List.of("earliest", "latest", "committed-or-earliest").contains(config.get(STARTING_OFFSETS))) {
            problems.add("--starting-offsets must be earliest, latest or committed-or-earliest, got "
                    + config.get(STARTING_OFFSETS));
        }
        try {
            otherWriterSchemas();
        } catch (IOException | RuntimeException e) {
            problems.add("--events-writer-schemas: " + e.getMessage());
        }
        try {
            inputFiles();
        } catch (RuntimeException e) {
            problems.add("--input-files: " + e.getMessage());
        }
        positive(problems, MAX_EVENT_BYTES);
        deadLettersFit(problems);
        positive(problems, MODEL_CAPACITY);
        positive(problems, MODEL_BATCH_SIZE);
        positive(problems, MODEL_REQUEST_EVENTS);
        if (config.get(MODEL_REQUEST_DELAY).isNegative()) {
            problems.add("--model-request-delay must not be negative");
        }
        positive(problems, MAX_ITEMS);
        positive(problems, MAX_PARALLELISM);
        if (config.get(MODEL_TIMEOUT).isZero() || config.get(MODEL_TIMEOUT).isNegative()) {
            problems.add("--model-timeout must be positive");
        }
        if (config.get(MODEL_REPORT_INTERVAL).isZero() || config.get(MODEL_REPORT_INTERVAL).isNegative()) {
            problems.add("--model-report-interval must be positive");
        }
        double threshold = config.get(RETENTION_THRESHOLD);
        if (!(threshold >= 0 && threshold <= 1)) {
            problems.add("--decision.retention-threshold must be in [0, 1], got " + threshold);
        }
        try {
            experiment();
        } catch (IllegalArgumentException e) {
            problems.add("experiment: " + e.getMessage());
        }
        try {
            analysisSettings();
        } catch (IllegalArgumentException e) {
            problems.add("experiment analysis: " + e.getMessage());
        }
        try {
            policyRules();
        } catch (IllegalArgumentException e) {
            problems.add("decision policy (--decision.*): " + e.getMessage());
        }
    }

    /** A dead letter the producer refuses would fail the job: every dead letter must fit one request. */
    private void deadLettersFit(List<String> problems) {
        String maxRequest = kafkaProperties().getProperty("max.request.size", Integer.toString(1024 * 1024));
        long largest = EventDecoder.maxDeadLetterBytes(config.get(MAX_EVENT_BYTES));
        try {
            if (largest > Long.parseLong(maxRequest.trim())) {
                problems.add("--" + MAX_EVENT_BYTES.key() + " " + config.get(MAX_EVENT_BYTES) + " makes dead letters of up to "
                        + largest + " bytes (the key twice, the value, the error), more than the producer's max.request.size "
                        + maxRequest + ": lower it, or raise --" + KAFKA_PROPERTIES_PREFIX + "max.request.size (and the "
                        + "dead-letter topic's max.message.bytes)");
            }
        } catch (NumberFormatException e) {
            problems.add("--" + KAFKA_PROPERTIES_PREFIX + "max.request.size '" + maxRequest + "' is not a number");
        }
    }

    private void positive(List<String> problems, ConfigOption<Integer> option) {
        if (config.get(option) <= 0) {
            problems.add("--" + option.key() + " must be > 0, got " + config.get(option));
        }
    }

    public <T> T get(ConfigOption<T> option) {
        return config.get(option);
    }

    /** The experiment the job starts with (--experiment.*); the control topic can start more. */
    public Experiment experiment() {
        List<Double> weights = config.get(EXPERIMENT_WEIGHTS);
        if (weights != null) {
            double sum = weights.stream().mapToDouble(Double::doubleValue).sum();
            if (Math.abs(sum - 1) > 0.01 || weights.stream().anyMatch(w -> !(w >= 0))) {
                throw new IllegalArgumentException("--experiment.weights must be >= 0 and sum to 1, got " + weights);
            }
        }
        if (!(config.get(EXPERIMENT_COVERAGE) >= 0 && config.get(EXPERIMENT_COVERAGE) <= 1)) {
            throw new IllegalArgumentException("--experiment.coverage must be in [0, 1], got "
                    + config.get(EXPERIMENT_COVERAGE));
        }
        return new Experiment(config.get(EXPERIMENT_KEY), config.get(EXPERIMENT_VARIATIONS),
                weights == null ? null : weights.stream().mapToDouble(Double::doubleValue).toArray(),
                config.get(EXPERIMENT_COVERAGE), config.get(EXPERIMENT_HASH_VERSION), null, null, 0, 1);
    }

    public PolicyRules policyRules() {
        return new PolicyRules(java.util.EnumSet.copyOf(config.get(ACTIONS)), config.get(MAX_MESSAGES_PER_DAY), config.get(MESSAGE_COOLDOWN),
                config.get(SUPPRESS_AFTER_PURCHASE), config.get(SUPPRESS_AFTER_NEGATIVE_REVIEW),
                config.get(MIN_CONFIDENCE), config.get(LOW_CONFIDENCE), config.get(BANDIT_VARIANT),
                new LinearBandit.Settings(config.get(BANDIT_RIDGE), config.get(BANDIT_EXPLORATION),
                        config.get(BANDIT_EPSILON)), config.get(ATTRIBUTION_WINDOW));
    }

    public AnalysisSettings analysisSettings() {
        return new AnalysisSettings(config.get(EXPERIMENT_REPORT_INTERVAL), 0.95, config.get(EXPERIMENT_SEQUENTIAL_TAU),
                config.get(GUARDRAIL_MAX_CONVERSION_DROP), config.get(GUARDRAIL_ALPHA), config.get(GUARDRAIL_MIN_USERS),
                config.get(GUARDRAIL_SRM_P_VALUE));
    }

    /** The .avsc files of --events-writer-schemas, each checked to resolve to the current UserEvent. */
    public List<String> otherWriterSchemas() throws IOException {
        String dir = config.get(EVENTS_WRITER_SCHEMAS);
        if (dir == null || dir.isBlank()) {
            return List.of();
        }
        List<String> schemas = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of(dir))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList()) {
                String json = Files.readString(file);
                Schema writer = new Schema.Parser().parse(json);
                SchemaCompatibility.SchemaPairCompatibility compatibility =
                        SchemaCompatibility.checkReaderWriterCompatibility(UserEvent.getClassSchema(), writer);
                if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                    throw new IOException(file + " cannot be read as the current UserEvent: "
                            + compatibility.getDescription());
                }
                schemas.add(json);
            }
        }
        return schemas;
    }

    /** The event files of a bounded run (--input-files), each checked to exist; empty for a Kafka run. */
    public List<Path> inputFiles() {
        String files = config.get(INPUT_FILES);
        if (files == null || files.isBlank()) {
            return List.of();
        }
        List<Path> paths = new ArrayList<>();
        for (String file : files.split(",")) {
            Path path = Path.of(file.trim()).toAbsolutePath();
            if (!Files.exists(path)) {
                throw new IllegalArgumentException(path + " does not exist");
            }
            paths.add(path);
        }
        return paths;
    }

    /** What {@link #givenArguments()} shows instead of a value that may be a secret. */
    public static final String REDACTED = "******";

    /**
     * The options as they were given ({@code key -> value}, defaults left out). The job publishes them
     * as its global job parameters: the web UI shows them, and scripts/upgrade.sh resubmits the job
     * with them. Values of Kafka properties that may hold a secret (passwords, JAAS configurations,
     * keys, tokens, credentials) are {@link #REDACTED}.
     */
    public Map<String, String> givenArguments() {
        Map<String, String> given = new java.util.TreeMap<>();
        config.toMap().forEach((key, value) -> given.put(key, mayBeSecret(key) ? REDACTED : value));
        return given;
    }

    static boolean mayBeSecret(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.startsWith(KAFKA_PROPERTIES_PREFIX) && Stream.of("password", "secret", "jaas", "token", "credential",
                "key").anyMatch(k::contains) && !k.endsWith(".serializer") && !k.endsWith(".deserializer");
    }

    /** Pass-through Kafka client properties (security and tuning), without the prefix. */
    public Properties kafkaProperties() {
        Properties properties = new Properties();
        config.toMap().forEach((key, value) -> {
            if (key.startsWith(KAFKA_PROPERTIES_PREFIX)) {
                properties.setProperty(key.substring(KAFKA_PROPERTIES_PREFIX.length()), value);
            }
        });
        return properties;
    }

    public static String describeOptions() {
        StringBuilder text = new StringBuilder("Options (--key value):\n");
        for (ConfigOption<?> option : ALL) {
            text.append(String.format("  --%-30s %s (default: %s)%n", option.key(),
                    new HtmlFormatter().format(option.description()),
                    !option.hasDefaultValue() ? "none"
                            : option.defaultValue() instanceof Duration d ? TimeUtils.formatWithHighestUnit(d)
                            : option.defaultValue()));
        }
        text.append("  --").append(KAFKA_PROPERTIES_PREFIX).append("<name>         any Kafka client property, e.g. ")
                .append("--kafka.properties.security.protocol SASL_SSL\n");
        return text.toString();
    }

    /** Every problem with the given options, one per line. */
    public static class InvalidSettingsException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final List<String> problems;

        public InvalidSettingsException(List<String> problems) {
            super("invalid job options:\n  - " + String.join("\n  - ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }
}
