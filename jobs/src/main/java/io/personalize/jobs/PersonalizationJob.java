package io.personalize.jobs;

import io.personalize.schema.Action;
import io.personalize.schema.AuditRecord;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.ModelMonitoring;
import io.personalize.schema.DeadLetter;
import io.personalize.schema.DecisionAudit;
import io.personalize.schema.FeatureSnapshot;
import io.personalize.schema.LateEvent;
import io.personalize.schema.ExperimentAssignment;
import io.personalize.schema.ExperimentResult;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.bandit.DecisionContext;
import io.personalize.udfs.bandit.LearnBandit;
import io.personalize.udfs.control.AuditRecords;
import io.personalize.udfs.control.ControlEventKafkaDeserializer;
import io.personalize.udfs.control.DecodedControl;
import io.personalize.udfs.control.NoControlCommands;
import io.personalize.udfs.control.RouteControlCommands;
import io.personalize.udfs.model.DeployModels;
import io.personalize.udfs.decision.DecideAndAssign;
import io.personalize.udfs.decision.DecisionInput;
import io.personalize.udfs.experiment.AnalyzeExperiments;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.features.FeatureSnapshots;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UpdateUserFeatures;
import io.personalize.udfs.ingest.DecodedEvent;
import io.personalize.udfs.ingest.EventFileFormat;
import io.personalize.udfs.ingest.EventTimeWatermarks;
import io.personalize.udfs.ingest.RouteDeadLetters;
import io.personalize.udfs.ingest.UserEventKafkaDeserializer;
import io.personalize.udfs.kafka.AvroKafkaSerializer;
import io.personalize.udfs.model.FeatureVectorInput;
import io.personalize.udfs.model.JoinModelResults;
import io.personalize.udfs.model.ModelInput;
import io.personalize.udfs.model.ModelOutput;
import io.personalize.udfs.model.MicroBatch;
import io.personalize.udfs.model.ScoreWithModel;
import io.personalize.udfs.model.ScoringRequest;
import io.personalize.udfs.recommend.CandidateRequest;
import io.personalize.udfs.recommend.CooccurrenceUpdate;
import io.personalize.udfs.recommend.GenerateCandidates;
import io.personalize.udfs.recommend.RankerInput;
import io.personalize.udfs.recommend.ToCooccurrenceUpdates;
import io.personalize.udfs.segment.SegmentCustomers;
import io.personalize.udfs.sentiment.SentimentInput;
import io.personalize.udfs.model.ScoredEvent;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.api.java.typeutils.ObjectArrayTypeInfo;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The personalization job: Kafka events -> decode (dead letters out) -> per-user features ->
 * async model scoring -> experiment assignment and decision -> Kafka decisions, assignments.
 */
public final class PersonalizationJob {
    private PersonalizationJob() {}

    /** Where the job reads from. {@code control} may be null (bounded runs have no control input). */
    public record Sources(Source<DecodedEvent, ?, ?> events, Source<DecodedControl, ?, ?> control) {}

    /**
     * Where the job writes to. {@code features}, {@code monitoring}, {@code experimentResults},
     * {@code jobCommands}, {@code decisionsForReview} and {@code decisionAudit} may be null (not written). {@code jobCommands}
     * carries what the job tells itself (guardrail stops, the bandit's shared statistics); they reach
     * the decisions only through the control topic the job reads, so it should write there.
     */
    public record Sinks(Sink<PersonalizationDecision> decisions, Sink<ExperimentAssignment> assignments,
            Sink<DeadLetter> deadLetters, Sink<AuditRecord> audit, Sink<LateEvent> lateEvents,
            Sink<FeatureSnapshot> features, Sink<ModelMonitoring> monitoring,
            Sink<ExperimentResult> experimentResults, Sink<ControlEvent> jobCommands,
            Sink<PersonalizationDecision> decisionsForReview, Sink<DecisionAudit> decisionAudit) {
        /** The sinks a run without experiment outputs needs (backtests, benchmarks). */
        public Sinks(Sink<PersonalizationDecision> decisions, Sink<ExperimentAssignment> assignments,
                Sink<DeadLetter> deadLetters, Sink<AuditRecord> audit, Sink<LateEvent> lateEvents,
                Sink<FeatureSnapshot> features, Sink<ModelMonitoring> monitoring) {
            this(decisions, assignments, deadLetters, audit, lateEvents, features, monitoring, null, null, null, null);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(JobSettings.describeOptions());
            return;
        }
        JobSettings settings;
        try {
            settings = JobSettings.fromArgs(args);
        } catch (JobSettings.InvalidSettingsException e) {
            System.err.println(e.getMessage());
            System.err.println();
            System.err.println(JobSettings.describeOptions());
            throw e;
        }
        if (!Files.isDirectory(Path.of(settings.get(JobSettings.MODELS_DIR)))) {
            System.err.println("warning: --models-dir " + settings.get(JobSettings.MODELS_DIR) + " is not a folder here;"
                    + " every TaskManager must be able to read it, or decisions fall back to the non-personalized default");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(environmentConfig(settings));
        defineWorkflow(env, sources(settings), kafkaSinks(settings), settings);
        env.execute(settings.get(JobSettings.JOB_NAME));
    }

    /** The events topic and the control topic, or the event files of a bounded run (--input-files). */
    public static Sources sources(JobSettings settings) {
        List<Path> files = settings.inputFiles();
        if (!files.isEmpty()) {
            return new Sources(fileSource(settings, files), null);
        }
        return new Sources(kafkaSource(settings), noControlTopic(settings) ? null : controlSource(settings));
    }

    public static Sinks kafkaSinks(JobSettings settings) {
        String features = settings.get(JobSettings.FEATURES_TOPIC);
        return new Sinks(
                kafkaSink(settings, settings.get(JobSettings.DECISIONS_TOPIC), PersonalizationDecision.class,
                        AvroKafkaSerializer.utf8(PersonalizationDecision::getUserId), "decisions"),
                kafkaSink(settings, settings.get(JobSettings.ASSIGNMENTS_TOPIC), ExperimentAssignment.class,
                        AvroKafkaSerializer.utf8(ExperimentAssignment::getUserId), "assignments"),
                kafkaSink(settings, settings.get(JobSettings.DEAD_LETTER_TOPIC), DeadLetter.class,
                        PersonalizationJob::originalKey, "dead-letters"),
                kafkaSink(settings, settings.get(JobSettings.AUDIT_TOPIC), AuditRecord.class,
                        AvroKafkaSerializer.utf8(AuditRecord::getUserId), "audit"),
                kafkaSink(settings, settings.get(JobSettings.LATE_EVENTS_TOPIC), LateEvent.class,
                        AvroKafkaSerializer.utf8(LateEvent::getUserId), "late-events"),
                features == null || features.isBlank() ? null
                        : kafkaSink(settings, features, FeatureSnapshot.class,
                                AvroKafkaSerializer.utf8(FeatureSnapshot::getUserId), "features"),
                kafkaSink(settings, settings.get(JobSettings.MONITORING_TOPIC), ModelMonitoring.class,
                        AvroKafkaSerializer.utf8(ModelMonitoring::getModel), "model-monitoring"),
                kafkaSink(settings, settings.get(JobSettings.EXPERIMENT_RESULTS_TOPIC), ExperimentResult.class,
                        AvroKafkaSerializer.utf8(ExperimentResult::getExperimentKey), "experiment-results"),
                noControlTopic(settings) ? null
                        : kafkaSink(settings, settings.get(JobSettings.CONTROL_TOPIC), ControlEvent.class,
                                AvroKafkaSerializer.utf8(PersonalizationJob::commandKey), "job-commands"),
                kafkaSink(settings, settings.get(JobSettings.REVIEW_TOPIC), PersonalizationDecision.class,
                        AvroKafkaSerializer.utf8(PersonalizationDecision::getUserId), "decisions-for-review"),
                settings.get(JobSettings.DECISION_AUDIT_TOPIC).equals("none") ? null
                        : kafkaSink(settings, settings.get(JobSettings.DECISION_AUDIT_TOPIC), DecisionAudit.class,
                                AvroKafkaSerializer.utf8(DecisionAudit::getUserId), "decision-audit"));
    }

    /** Guardrail stops are keyed by experiment, bandit updates by the learner. */
    private static String commandKey(ControlEvent command) {
        return command.getExperimentKey() != null ? command.getExperimentKey() : LearnBandit.KEY;
    }

    private static boolean noControlTopic(JobSettings settings) {
        String control = settings.get(JobSettings.CONTROL_TOPIC);
        return control.isBlank() || control.equals("none");
    }

    /** Settings every run of this job needs, whatever the cluster configuration says. */
    public static Configuration environmentConfig(JobSettings settings) {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.MAX_PARALLELISM, settings.get(JobSettings.MAX_PARALLELISM));
        config.set(ExecutionOptions.BUFFER_TIMEOUT, settings.get(JobSettings.BUFFER_TIMEOUT));
        // Operators never keep or mutate records they have emitted or received.
        config.set(PipelineOptions.OBJECT_REUSE, true);
        // Shown in the web UI (job configuration) and read back by scripts/upgrade.sh; secrets redacted.
        config.set(PipelineOptions.GLOBAL_JOB_PARAMETERS, settings.givenArguments());
        return config;
    }

    /** Builds the whole DAG between the given sources and sinks. */
    public static void defineWorkflow(StreamExecutionEnvironment env, Sources sources, Sinks sinks,
            JobSettings settings) {
        DataStream<DecodedEvent> decoded = env
                .fromSource(sources.events(), EventTimeWatermarks.create(settings.get(JobSettings.MAX_OUT_OF_ORDERNESS),
                        settings.get(JobSettings.SOURCE_IDLENESS)), "events-source")
                .uid("events-source");

        SingleOutputStreamOperator<UserEvent> valid = decoded
                .process(new RouteDeadLetters())
                .uid("route-dead-letters").name("route-dead-letters");
        DataStream<DeadLetter> deadLetters = valid.getSideOutput(RouteDeadLetters.DEAD_LETTERS);

        DataStream<ControlEvent> control;
        DataStream<AuditRecord> audit;
        if (sources.control() != null) {
            SingleOutputStreamOperator<ControlEvent> routed = env
                    .fromSource(sources.control(), WatermarkStrategy.noWatermarks(), "control-source")
                    .uid("control-source")
                    .process(new RouteControlCommands())
                    .uid("route-control").name("route-control");
            control = routed;
            deadLetters = deadLetters.union(routed.getSideOutput(RouteControlCommands.DEAD_LETTERS));
            audit = routed.getSideOutput(AuditRecords.AUDIT);
        } else {
            control = NoControlCommands.stream(env);
            audit = null;
        }
        deadLetters.sinkTo(sinks.deadLetters()).uid("dead-letters-sink").name("dead-letters-sink");
        KeyedStream<ControlEvent, String> controlByUser = rare(control
                .filter(RouteControlCommands::isUserCommand).uid("user-commands").name("user-commands"))
                .keyBy(ControlEvent::getUserId);
        DataStream<ControlEvent> modelCommands = rare(control
                .filter(DeployModels::isModelCommand).uid("model-commands").name("model-commands"));
        DataStream<ControlEvent> decisionCommands = rare(control
                .filter(DecideAndAssign::isDecisionCommand).uid("decision-commands").name("decision-commands"));

        SingleOutputStreamOperator<FeaturizedEvent> featurized = valid
                .keyBy(UserEvent::getUserId)
                .connect(controlByUser)
                .process(new UpdateUserFeatures(settings.get(JobSettings.STATE_TTL)))
                .uid("user-features").name("user-features");
        featurized.getSideOutput(UpdateUserFeatures.LATE_EVENTS)
                .sinkTo(sinks.lateEvents()).uid("late-events-sink").name("late-events-sink");
        if (sinks.features() != null) {
            featurized.map(FeatureSnapshots::of).uid("feature-snapshots").name("feature-snapshots")
                    .sinkTo(sinks.features()).uid("features-sink").name("features-sink");
        }

        SingleOutputStreamOperator<FeaturizedEvent> deployed = featurized
                .connect(modelCommands.broadcast(DeployModels.DEPLOYMENTS))
                .process(new DeployModels(swappableModels(settings)))
                .uid("deploy-models").name("deploy-models");
        SingleOutputStreamOperator<ScoredEvent> scored = scoreWithEveryModel(deployed, settings);
        if (sinks.monitoring() != null) {
            scored.getSideOutput(JoinModelResults.MONITORING)
                    .sinkTo(sinks.monitoring()).uid("monitoring-sink").name("monitoring-sink");
        }
        // The join emits in the user's key group, and the user commands' map runs in theirs: both reach
        // the decision operator's subtask for the user without another shuffle.
        DataStream<DecisionInput> scoredInputs = scored.map(DecisionInput::of).returns(DecisionInput.class)
                .uid("scored-decision-inputs").name("scored-decision-inputs");
        DataStream<DecisionInput> userCommandInputs = rare(controlByUser.map(DecisionInput::of).returns(DecisionInput.class)
                .uid("user-command-decision-inputs").name("user-command-decision-inputs"));
        KeyedStream<DecisionInput, String> decisionInputs = DataStreamUtils.reinterpretAsKeyedStream(
                scoredInputs.union(userCommandInputs), DecisionInput::userId, Types.STRING);

        SingleOutputStreamOperator<PersonalizationDecision> decided = decisionInputs
                .connect(decisionCommands.broadcast(DecideAndAssign.EXPERIMENTS, DecideAndAssign.BANDIT))
                .process(new DecideAndAssign(settings.experiment(),
                        new DecisionPolicy(settings.get(JobSettings.RETENTION_THRESHOLD), 2,
                                settings.get(JobSettings.MAX_ITEMS), settings.policyRules()),
                        settings.get(JobSettings.MODELS_DIR), settings.get(JobSettings.STATE_TTL)))
                .uid("decide-and-assign").name("decide-and-assign");
        decided.sinkTo(sinks.decisions()).uid("decisions-sink").name("decisions-sink");
        decided.getSideOutput(DecideAndAssign.ASSIGNMENTS)
                .sinkTo(sinks.assignments()).uid("assignments-sink").name("assignments-sink");

        SingleOutputStreamOperator<ExperimentResult> analysed = rare(decided
                .getSideOutput(DecideAndAssign.EXPERIMENT_OBSERVATIONS)
                .keyBy(o -> o.experimentKey, Types.STRING)
                .process(new AnalyzeExperiments(settings.analysisSettings()))
                .uid("analyze-experiments").name("analyze-experiments"));
        if (sinks.experimentResults() != null) {
            analysed.sinkTo(sinks.experimentResults()).uid("experiment-results-sink").name("experiment-results-sink");
        }
        SingleOutputStreamOperator<ControlEvent> banditUpdates = rare(decided.getSideOutput(DecideAndAssign.BANDIT_FEEDBACK)
                .keyBy(f -> LearnBandit.KEY, Types.STRING)
                .process(new LearnBandit(Action.values().length, DecisionContext.DIMENSION,
                        settings.get(JobSettings.BANDIT_PUBLISH_INTERVAL)))
                .uid("learn-bandit").name("learn-bandit"));
        if (sinks.jobCommands() != null) {
            analysed.getSideOutput(AnalyzeExperiments.GUARDRAIL_COMMANDS).union(banditUpdates)
                    .sinkTo(sinks.jobCommands()).uid("job-commands-sink").name("job-commands-sink");
        }
        if (sinks.decisionAudit() != null) {
            decided.getSideOutput(DecideAndAssign.DECISION_AUDIT).sinkTo(sinks.decisionAudit())
                    .uid("decision-audit-sink").name("decision-audit-sink");
        }
        if (sinks.decisionsForReview() != null) {
            decided.getSideOutput(DecideAndAssign.FOR_REVIEW).sinkTo(sinks.decisionsForReview())
                    .uid("decisions-for-review-sink").name("decisions-for-review-sink");
        }

        DataStream<AuditRecord> erasures = featurized.getSideOutput(AuditRecords.AUDIT)
                .union(decided.getSideOutput(AuditRecords.AUDIT), deployed.getSideOutput(AuditRecords.AUDIT),
                        analysed.getSideOutput(AuditRecords.AUDIT));
        (audit == null ? erasures : audit.union(erasures))
                .sinkTo(sinks.audit()).uid("audit-sink").name("audit-sink");
    }

    /**
     * An operator whose records leave its task rarely (control commands, experiment and bandit
     * reports): each one is sent at once. With --buffer-timeout, every network output has a thread
     * that wakes each timeout to flush it; those threads cost about a quarter of a core on an idle
     * job, and these outputs do not need one.
     */
    private static <T> SingleOutputStreamOperator<T> rare(SingleOutputStreamOperator<T> operator) {
        return operator.setBufferTimeout(0);
    }

    /**
     * The fan-out: every model scores each featurized event in its own operator (async, micro-batched
     * DJL scoring with its own parallelism), and the fan-in joins their results back per event.
     */
    static SingleOutputStreamOperator<ScoredEvent> scoreWithEveryModel(SingleOutputStreamOperator<FeaturizedEvent> featurized,
            JobSettings settings) {
        String modelsDir = settings.get(JobSettings.MODELS_DIR);
        DataStream<ModelOutput> parts = featurized.map(ModelOutput::input).returns(ModelOutput.class)
                .uid("model-inputs").name("model-inputs");
        DataStream<ScoringRequest> requests = featurized.map(ScoringRequest::of).returns(ScoringRequest.class)
                .uid("scoring-requests").name("scoring-requests");
        parts = parts.union(
                score(requests, DecisionPolicy.PROPENSITY_MODEL, new FeatureVectorInput(), settings),
                score(requests, DecisionPolicy.CHURN_MODEL, new FeatureVectorInput(), settings),
                score(requests, DecisionPolicy.SENTIMENT_MODEL, new SentimentInput(), settings),
                withModelParallelism(featurized.map(new SegmentCustomers(modelsDir))
                        .uid("score-segment").name("score-segment"), settings));

        DataStream<CooccurrenceUpdate> updates = featurized.flatMap(new ToCooccurrenceUpdates())
                .uid("cooccurrence-updates").name("cooccurrence-updates");
        SingleOutputStreamOperator<CandidateRequest> candidates = featurized
                .connect(updates.broadcast(GenerateCandidates.BROADCAST_STATES))
                .process(new GenerateCandidates(modelsDir))
                .uid("recommend-candidates").name("recommend-candidates");
        parts = parts.union(score(candidates, DecisionPolicy.RECOMMEND_MODEL,
                new RankerInput(settings.get(JobSettings.MAX_ITEMS)), settings));

        KeySelector<ModelOutput, String> user = part -> part.userId;
        KeyedStream<ModelOutput, String> partsByUser = settings.get(JobSettings.MODEL_PARALLELISM) > 0
                ? parts.keyBy(user)
                // every branch runs chained in the feature operator's subtask: parts are still in the user's key group
                : DataStreamUtils.reinterpretAsKeyedStream(parts, user);
        // a backstop only: every branch answers within its timeout, but a checkpoint alignment can hold one back
        long joinTimeoutMs = Math.max(10_000, 4 * settings.get(JobSettings.MODEL_TIMEOUT).toMillis());
        return partsByUser
                .process(new JoinModelResults(DecisionPolicy.MODELS, joinTimeoutMs))
                .uid("join-model-results").name("join-model-results");
    }

    /** The models a control command can swap at run time, with the features the job computes for each. */
    public static Map<String, List<String>> swappableModels(JobSettings settings) {
        return Map.of(
                DecisionPolicy.PROPENSITY_MODEL, new FeatureVectorInput().featureNames(),
                DecisionPolicy.CHURN_MODEL, new FeatureVectorInput().featureNames(),
                DecisionPolicy.SENTIMENT_MODEL, new SentimentInput().featureNames(),
                DecisionPolicy.RECOMMEND_MODEL, new RankerInput(settings.get(JobSettings.MAX_ITEMS)).featureNames());
    }

    /**
     * One model's scoring as the job wires it: micro-batches of events ({@code --model-request-events},
     * {@code --model-request-delay}), each one async request to {@link ScoreWithModel}.
     */
    public static <IN> SingleOutputStreamOperator<ModelOutput> score(DataStream<IN> input, String model,
            ModelInput<IN> modelInput, JobSettings settings) {
        Class<IN> type = input.getType().getTypeClass();
        @SuppressWarnings("unchecked")
        Class<IN[]> arrayType = (Class<IN[]>) java.lang.reflect.Array.newInstance(type, 0).getClass();
        DataStream<IN[]> batches = input.transform("batch-" + model, ObjectArrayTypeInfo.getInfoFor(arrayType,
                        input.getType()), new MicroBatch<>(type, settings.get(JobSettings.MODEL_REQUEST_EVENTS),
                        settings.get(JobSettings.MODEL_REQUEST_DELAY).toMillis()))
                .uid("batch-" + model);
        return withModelParallelism(AsyncDataStream
                .orderedWait(batches,
                        new ScoreWithModel<>(settings.get(JobSettings.MODELS_DIR), model, modelInput,
                                settings.get(JobSettings.MODEL_BATCH_SIZE), settings.get(JobSettings.MODEL_CAPACITY),
                                settings.get(JobSettings.MODEL_REPORT_INTERVAL).toMillis()),
                        settings.get(JobSettings.MODEL_TIMEOUT).toMillis(), TimeUnit.MILLISECONDS,
                        // --model-capacity counts events in flight; a request holds up to --model-request-events
                        Math.max(1, settings.get(JobSettings.MODEL_CAPACITY) / settings.get(JobSettings.MODEL_REQUEST_EVENTS)))
                .returns(ModelOutput.class)
                .uid("score-" + model).name("score-" + model), settings);
    }

    private static SingleOutputStreamOperator<ModelOutput> withModelParallelism(
            SingleOutputStreamOperator<ModelOutput> scorer, JobSettings settings) {
        if (settings.get(JobSettings.MODEL_PARALLELISM) > 0) {
            scorer.setParallelism(settings.get(JobSettings.MODEL_PARALLELISM));
        }
        return scorer;
    }

    /** A bounded source over event files: Avro container files or JSON lines, files or folders. */
    public static FileSource<DecodedEvent> fileSource(JobSettings settings, List<Path> files) {
        return FileSource.forRecordStreamFormat(new EventFileFormat(settings.get(JobSettings.MAX_EVENT_BYTES)),
                        files.stream().map(f -> new org.apache.flink.core.fs.Path(f.toUri())).toArray(
                                org.apache.flink.core.fs.Path[]::new))
                .build();
    }

    public static KafkaSource<DecodedControl> controlSource(JobSettings settings) {
        return kafkaSourceBuilder(settings, settings.get(JobSettings.CONTROL_TOPIC),
                        settings.get(JobSettings.GROUP_ID) + "-control", new ControlEventKafkaDeserializer())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .build();
    }

    /** What every input topic's source shares: brokers, pass-through properties, offsets committed on checkpoints. */
    private static <T> KafkaSourceBuilder<T> kafkaSourceBuilder(JobSettings settings, String topic, String groupId,
            KafkaRecordDeserializationSchema<T> deserializer) {
        return KafkaSource.<T>builder()
                .setBootstrapServers(settings.get(JobSettings.BOOTSTRAP_SERVERS))
                .setTopics(topic)
                .setGroupId(groupId)
                .setDeserializer(deserializer)
                .setProperties(settings.kafkaProperties())
                .setProperty("commit.offsets.on.checkpoint", "true")
                .setProperty("isolation.level", "read_committed");
    }

    public static KafkaSource<DecodedEvent> kafkaSource(JobSettings settings) {
        return kafkaSource(settings, null);
    }

    /** The input source; with {@code stoppingOffsets} it is bounded (backfills, tests). */
    public static KafkaSource<DecodedEvent> kafkaSource(JobSettings settings, OffsetsInitializer stoppingOffsets) {
        OffsetsInitializer start = switch (settings.get(JobSettings.STARTING_OFFSETS)) {
            case "earliest" -> OffsetsInitializer.earliest();
            case "latest" -> OffsetsInitializer.latest();
            default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        };
        var builder = kafkaSourceBuilder(settings, settings.get(JobSettings.EVENTS_TOPIC),
                        settings.get(JobSettings.GROUP_ID),
                        new UserEventKafkaDeserializer(settings.get(JobSettings.MAX_EVENT_BYTES), otherWriterSchemas(settings)))
                .setStartingOffsets(start);
        if (stoppingOffsets != null) {
            builder.setBounded(stoppingOffsets);
        }
        return builder.build();
    }

    private static List<String> otherWriterSchemas(JobSettings settings) {
        try {
            return settings.otherWriterSchemas();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--events-writer-schemas: " + e.getMessage(), e);
        }
    }

    public static <T extends SpecificRecord> KafkaSink<T> kafkaSink(JobSettings settings, String topic,
            Class<T> type, SerializableFunction<T, byte[]> key, String name) {
        DeliveryGuarantee guarantee = settings.get(JobSettings.DELIVERY_GUARANTEE).guarantee;
        var builder = KafkaSink.<T>builder()
                .setBootstrapServers(settings.get(JobSettings.BOOTSTRAP_SERVERS))
                .setRecordSerializer(new AvroKafkaSerializer<>(topic, type, key))
                .setKafkaProducerConfig(settings.kafkaProperties())
                .setDeliveryGuarantee(guarantee);
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(settings.get(JobSettings.TRANSACTIONAL_ID_PREFIX) + "-" + name)
                    .setProperty("transaction.timeout.ms", "900000");
        } else if (!settings.kafkaProperties().containsKey("linger.ms")) {
            builder.setProperty("linger.ms", "5");
        }
        return builder.build();
    }

    /** The dead letter's Kafka key: the original record's key, byte for byte. */
    public static byte[] originalKey(DeadLetter deadLetter) {
        if (deadLetter.getRawKey() == null) {
            return null;
        }
        ByteBuffer key = deadLetter.getRawKey().duplicate();
        byte[] bytes = new byte[key.remaining()];
        key.get(bytes);
        return bytes;
    }
}
