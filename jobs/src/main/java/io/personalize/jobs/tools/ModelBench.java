package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.personalize.schema.EventType;
import io.personalize.jobs.JobSettings;
import io.personalize.jobs.PersonalizationJob;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import io.personalize.udfs.model.BatchingScorer;
import io.personalize.udfs.model.FeatureVectorInput;
import io.personalize.udfs.model.ModelInput;
import io.personalize.udfs.model.ModelOutput;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.model.ScoreWithModel;
import io.personalize.udfs.model.ScoringRequest;
import io.personalize.udfs.recommend.CandidateRequest;
import io.personalize.udfs.recommend.CooccurrenceSinceCut;
import io.personalize.udfs.recommend.CooccurrenceUpdate;
import io.personalize.udfs.recommend.ItemCooccurrence;
import io.personalize.udfs.recommend.RankerInput;
import io.personalize.udfs.recommend.RecommendationCandidates;
import io.personalize.udfs.recommend.Recommender;
import io.personalize.udfs.recommend.TopItems;
import io.personalize.udfs.sentiment.SentimentInput;
import io.personalize.udfs.training.OnlineRetailEvents;
import io.personalize.udfs.training.SentimentTrainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Scoring throughput of each model three ways, on the same real inputs and the registry's current
 * version: (1) raw DJL, batches scored in a plain loop (the fastest of
 * 32, 128, {@code --batch} and 1,024 rows per batch); (2) inside a Flink
 * job, the job's own scoring as {@link PersonalizationJob#score} wires it (micro-batches of events,
 * async requests to {@link ScoreWithModel}, the scorer's own batching);
 * (3) the naive way, a map function that calls the predictor synchronously once per row. Both jobs
 * run in a local cluster in this process at parallelism 1, their inputs generated from memory into
 * a discarding sink, so they pay the same harness; their throughput is timed from the first result
 * to the last, so cluster start-up and model loading do not count. Also the p99 latency the scoring
 * adds inside the job (request queued to scores back, the operator's own measurement).
 */
@Command(name = "model-bench", mixinStandardHelpOptions = true,
        description = "Per-model scoring throughput: in the job vs. raw batched DJL vs. per-record synchronous.")
public final class ModelBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The inputs of the run in progress: the jobs run in this process, their sources read from here. */
    private static volatile List<?> inputs;

    @Option(names = "--models-dir", defaultValue = "models") Path modelsDir;
    @Option(names = "--models", split = ",", defaultValue = "propensity,churn,sentiment,recommend",
            description = "Models to measure (default: ${DEFAULT-VALUE}).") List<String> models;
    @Option(names = "--rows", defaultValue = "1000000",
            description = "Rows scored by raw DJL and in the job (default: ${DEFAULT-VALUE}).")
    long rows;
    @Option(names = "--per-record-rows", defaultValue = "50000",
            description = "Rows scored by the per-record map, which is far slower (default: ${DEFAULT-VALUE}).")
    long perRecordRows;
    @Option(names = "--batch", defaultValue = "256", description = "Rows per raw DJL batch and the job's largest micro-batch.")
    int batch;
    @Option(names = "--capacity", defaultValue = "1000", description = "The job's async capacity (in-flight requests).")
    int capacity;
    @Option(names = "--request-events", defaultValue = "64",
            description = "Events per async request in the job (--model-request-events; default: ${DEFAULT-VALUE}).")
    int requestEvents;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ModelBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<UserEvent> events = OnlineRetailEvents.load(OnlineRetailEvents.defaultFile()).events();
        Map<String, Object> perModel = new LinkedHashMap<>();
        double minRaw = Double.MAX_VALUE;
        double minPerRecord = Double.MAX_VALUE;
        System.out.printf("%-11s %9s %14s %14s %14s %9s %9s %12s%n", "model", "rows/req", "raw DJL rows/s",
                "in-job rows/s", "per-rec rows/s", "vs raw", "vs per-rec", "p99 added ms");
        for (String model : models) {
            Result r = switch (model) {
                case DecisionPolicy.PROPENSITY_MODEL, DecisionPolicy.CHURN_MODEL ->
                        measure(model, featurized(events, 20_000), new FeatureVectorInput());
                case DecisionPolicy.SENTIMENT_MODEL -> measure(model, reviews(), new SentimentInput());
                case DecisionPolicy.RECOMMEND_MODEL -> measure(model, candidateRequests(events, 1_500),
                        new RankerInput(20));
                default -> throw new CommandLine.ParameterException(new CommandLine(this), "unknown model " + model);
            };
            perModel.put(model, r.json());
            minRaw = Math.min(minRaw, r.inJob / r.raw);
            minPerRecord = Math.min(minPerRecord, r.inJob / r.perRecord);
            System.out.printf(Locale.ROOT, "%-11s %9.1f %,14.0f %,14.0f %,14.0f %9.2f %9.2f %12.2f%n", model,
                    r.rowsPerRequest, r.raw, r.inJob, r.perRecord, r.inJob / r.raw, r.inJob / r.perRecord, r.p99Ms);
        }
        ObjectNode line = JSON.createObjectNode();
        line.put("mode", "models");
        line.put("min_ratio_vs_raw_djl", round(minRaw));
        line.put("min_ratio_vs_per_record", round(minPerRecord));
        line.set("per_model", JSON.valueToTree(perModel));
        System.out.println(JSON.writeValueAsString(line));
        return 0;
    }

    record Result(double rowsPerRequest, double raw, double inJob, double perRecord, double p99Ms, double meanMs) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rows_per_request", round(rowsPerRequest));
            m.put("raw_djl_rows_per_s", Math.round(raw));
            m.put("in_job_rows_per_s", Math.round(inJob));
            m.put("per_record_rows_per_s", Math.round(perRecord));
            m.put("ratio_vs_raw_djl", round(inJob / raw));
            m.put("ratio_vs_per_record", round(inJob / perRecord));
            m.put("p99_added_latency_ms", round(p99Ms));
            m.put("mean_added_latency_ms", round(meanMs));
            return m;
        }
    }

    private <IN> Result measure(String model, List<IN> requests, ModelInput<IN> modelInput) throws Exception {
        ModelRegistry.ModelVersion version = new ModelRegistry(modelsDir).current(model, modelInput.featureNames());
        List<float[]> allRows = new ArrayList<>();
        for (IN request : requests) {
            float[][] r = modelInput.rows(request);
            if (r != null) {
                allRows.addAll(Arrays.asList(r));
            }
        }
        double rowsPerRequest = (double) allRows.size() / requests.size();
        long requestCount = Math.max(1, (long) (rows / rowsPerRequest));
        System.err.printf("%s %s: %,d distinct requests, %.1f rows each; %,d requests per measurement%n", model,
                version.version(), requests.size(), rowsPerRequest, requestCount);

        // the model at its best: the fastest of a few batch sizes
        double raw = 0;
        for (int size : new int[] {32, 128, batch, 1024}) {
            raw = Math.max(raw, rawDjl(version, allRows.toArray(float[][]::new), (long) (requestCount * rowsPerRequest),
                    size));
        }
        inputs = requests;
        // warm-up of the in-job path (JIT, native library), then the measurement
        inJob(model, modelInput, Math.max(1, requestCount / 5));
        double inJobSeconds = inJob(model, modelInput, requestCount);
        long perRecordCount = Math.max(1, (long) (Math.min(rows, perRecordRows) / rowsPerRequest));
        double perRecordSeconds = perRecord(version, modelInput, perRecordCount);
        inputs = null;
        double totalRows = requestCount * rowsPerRequest;
        return new Result(rowsPerRequest, raw, totalRows / inJobSeconds, perRecordCount * rowsPerRequest / perRecordSeconds,
                latencyPercentileMs(99), latencyMeanMs());
    }

    /** Rows per second of the model alone: batches of {@code batch} rows in a loop, after a warm-up. */
    private static double rawDjl(ModelRegistry.ModelVersion version, float[][] distinct, long total, int batch)
            throws Exception {
        try (BatchingScorer scorer = BatchingScorer.open(version, batch, 1, n -> { }, "raw")) {
            float[][] chunk = new float[batch][];
            long scored = 0;
            long start = 0;
            for (int pass = 0; pass < 2; pass++) { // pass 0 warms up on a tenth
                long goal = pass == 0 ? total / 10 : total;
                scored = 0;
                start = System.nanoTime();
                int at = 0;
                while (scored < goal) {
                    for (int i = 0; i < batch; i++) {
                        chunk[i] = distinct[at];
                        at = (at + 1) % distinct.length;
                    }
                    scorer.scoreNow(chunk);
                    scored += batch;
                }
            }
            return scored / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static StreamExecutionEnvironment environment() {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(1);
        return env;
    }

    @SuppressWarnings("unchecked")
    private static <IN> DataStream<IN> requests(StreamExecutionEnvironment env, long count, Class<?> type) {
        return env.fromSource(new DataGeneratorSource<>((GeneratorFunction<Long, IN>) i -> {
            List<?> all = inputs;
            return (IN) all.get((int) (i % all.size()));
        }, count, (TypeInformation<IN>) TypeInformation.of(type)), WatermarkStrategy.noWatermarks(), "requests");
    }

    /** Added latency of every OK result, in 10 µs buckets up to 10 s: the jobs run in this process. */
    private static final java.util.concurrent.atomic.AtomicLongArray LATENCY_BUCKETS =
            new java.util.concurrent.atomic.AtomicLongArray(1_000_000);
    private static final java.util.concurrent.atomic.LongAdder ANSWERED = new java.util.concurrent.atomic.LongAdder();
    private static final java.util.concurrent.atomic.LongAdder PER_RECORD_ROWS = new java.util.concurrent.atomic.LongAdder();
    /** When the run's first and last result passed (ns): throughput is measured between them, without start-up. */
    private static final java.util.concurrent.atomic.AtomicLong FIRST = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong LAST = new java.util.concurrent.atomic.AtomicLong();

    private static void passed() {
        long now = System.nanoTime();
        FIRST.compareAndSet(0, now);
        LAST.set(now);
    }

    private static double steadySeconds(long results) {
        // the span between the first and the last of n results covers n - 1 of them
        return (LAST.get() - FIRST.get()) / 1e9 * results / Math.max(1, results - 1);
    }

    private static void resetClock() {
        FIRST.set(0);
        LAST.set(0);
    }

    /** The p-th percentile of the last in-job run's added latencies, in ms. */
    static double latencyPercentileMs(double p) {
        long rank = (long) Math.ceil(p / 100 * ANSWERED.sum());
        long seen = 0;
        for (int b = 0; b < LATENCY_BUCKETS.length(); b++) {
            seen += LATENCY_BUCKETS.get(b);
            if (seen >= rank) {
                return b * 10 / 1000.0;
            }
        }
        return Double.NaN;
    }

    static double latencyMeanMs() {
        double sum = 0;
        for (int b = 0; b < LATENCY_BUCKETS.length(); b++) {
            sum += (double) b * 10 * LATENCY_BUCKETS.get(b);
        }
        return sum / ANSWERED.sum() / 1000;
    }

    /** Counts each OK result and its added latency. */
    static final class RecordLatency implements org.apache.flink.api.common.functions.MapFunction<ModelOutput, ModelOutput> {
        private static final long serialVersionUID = 1L;

        @Override
        public ModelOutput map(ModelOutput output) {
            if (output.result != null && output.result.latencyMicros >= 0) {
                passed();
                ANSWERED.increment();
                LATENCY_BUCKETS.incrementAndGet((int) Math.min(LATENCY_BUCKETS.length() - 1, output.result.latencyMicros / 10));
            }
            return output;
        }
    }

    /** The job's own scoring, as the job wires it; seconds from the first result to the last. */
    private <IN> double inJob(String model, ModelInput<IN> modelInput, long count) throws Exception {
        StreamExecutionEnvironment env = environment();
        DataStream<IN> in = requests(env, count, inputs.get(0).getClass());
        JobSettings settings = JobSettings.fromMap(Map.of("models-dir", modelsDir.toString(),
                "model-batch-size", Integer.toString(batch), "model-capacity", Integer.toString(capacity),
                "model-timeout", "10 s", "model-report-interval", "1 h",
                "model-request-events", Integer.toString(requestEvents)));
        PersonalizationJob.score(in, model, modelInput, settings)
                .map(new RecordLatency()).name("record-latency")
                .sinkTo(new DiscardingSink<>()).name("discard");
        for (int b = 0; b < LATENCY_BUCKETS.length(); b++) {
            LATENCY_BUCKETS.set(b, 0);
        }
        ANSWERED.reset();
        resetClock();
        env.execute("model-bench-" + model);
        double seconds = steadySeconds(count);
        if (ANSWERED.sum() != count) {
            throw new IllegalStateException(model + ": " + ANSWERED.sum() + " of " + count + " requests scored OK in the job");
        }
        return seconds;
    }

    /** The naive operator: one synchronous predict per row, in a map function. Wall time in seconds. */
    private <IN> double perRecord(ModelRegistry.ModelVersion version, ModelInput<IN> modelInput, long count)
            throws Exception {
        StreamExecutionEnvironment env = environment();
        DataStream<IN> in = requests(env, count, inputs.get(0).getClass());
        in.map(new PerRecordScore<>(version.dir().toString(), version.name(), version.version(), modelInput))
                .returns(Types.LONG).name("per-record-" + version.name())
                .sinkTo(new DiscardingSink<>()).name("discard");
        PER_RECORD_ROWS.reset();
        resetClock();
        env.execute("model-bench-per-record-" + version.name());
        double seconds = steadySeconds(count);
        if (PER_RECORD_ROWS.sum() == 0) {
            throw new IllegalStateException("the per-record run scored nothing");
        }
        return seconds;
    }

    /** Scores each row of each request with its own synchronous predict call. */
    static final class PerRecordScore<IN> extends RichMapFunction<IN, Long> {
        private static final long serialVersionUID = 1L;
        private final String dir;
        private final String name;
        private final String version;
        private final ModelInput<IN> modelInput;
        private transient BatchingScorer scorer;

        PerRecordScore(String dir, String name, String version, ModelInput<IN> modelInput) {
            this.dir = dir;
            this.name = name;
            this.version = version;
            this.modelInput = modelInput;
        }

        @Override
        public void open(OpenContext openContext) throws Exception {
            scorer = BatchingScorer.open(ModelRegistry.loadAt(Path.of(dir), name, version, null, null), 1, 1, n -> { },
                    "per-record");
        }

        @Override
        public Long map(IN input) throws Exception {
            float[][] rows = modelInput.rows(input);
            if (rows == null) {
                return 0L;
            }
            for (float[] row : rows) {
                scorer.scoreNow(new float[][] {row});
            }
            PER_RECORD_ROWS.add(rows.length);
            passed();
            return (long) rows.length;
        }

        @Override
        public void close() throws Exception {
            scorer.close();
        }
    }

    /** The featurized purchases of the last {@code n} events, features replayed over all before them. */
    private static List<ScoringRequest> featurized(List<UserEvent> events, int n) {
        Map<String, UserFeatures> users = new HashMap<>();
        List<ScoringRequest> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            UserEvent e = events.get(i);
            UserFeatures f = users.computeIfAbsent(e.getUserId(), u -> new UserFeatures());
            FeatureUpdater.apply(f, e);
            if (i >= events.size() - n) {
                out.add(ScoringRequest.of(FeaturizedEvent.of(e, f)));
            }
        }
        return out;
    }

    /** Every labelled review sentence as a REVIEW event. */
    private static List<ScoringRequest> reviews() throws Exception {
        List<ScoringRequest> out = new ArrayList<>();
        try (var files = Files.list(SentimentTrainer.defaultFolder())) {
            for (Path file : files.filter(f -> f.toString().endsWith("_labelled.txt")).sorted().toList()) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String text = line.contains("\t") ? line.substring(0, line.lastIndexOf('\t')) : line;
                    UserEvent review = UserEvent.newBuilder().setEventId("r" + out.size()).setUserId("u" + out.size())
                            .setEventType(EventType.REVIEW).setEventTime(1_000L).setText(text).build();
                    out.add(ScoringRequest.of(FeaturizedEvent.of(review, new UserFeatures())));
                }
            }
        }
        return out;
    }

    /** The ranker's requests for the last {@code n} events, as the stream builds them. */
    private List<CandidateRequest> candidateRequests(List<UserEvent> events, int n) throws Exception {
        CooccurrenceSinceCut cooccurrence = CooccurrenceSinceCut.loadCurrent(modelsDir);
        ItemCooccurrence.InMemory counted = new ItemCooccurrence.InMemory(Recommender.TOP_ITEMS);
        TopItems top = null;
        RecommendationCandidates generator = Recommender.candidates();
        Map<String, UserFeatures> users = new HashMap<>();
        List<CandidateRequest> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            UserEvent e = events.get(i);
            UserFeatures f = users.computeIfAbsent(e.getUserId(), u -> new UserFeatures());
            FeatureUpdater.apply(f, e);
            FeaturizedEvent featurized = FeaturizedEvent.of(e, f);
            if (i >= events.size() - n) {
                var candidates = generator.generate(featurized, cooccurrence.view(counted), cooccurrence.popular(top));
                if (candidates.size() > 0) {
                    out.add(new CandidateRequest(featurized, candidates));
                }
            }
            CooccurrenceUpdate update = ItemCooccurrence.updateFor(featurized);
            if (update != null && !cooccurrence.alreadyCounted(update)) {
                top = cooccurrence.count(counted, top, update);
            }
        }
        return out;
    }

    static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }
}
