package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.decision.ItemGate;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import io.personalize.udfs.ingest.DecodedEvent;
import io.personalize.udfs.ingest.EventFileFormat;
import io.personalize.udfs.model.BatchingScorer;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.recommend.CooccurrenceSinceCut;
import io.personalize.udfs.recommend.CooccurrenceUpdate;
import io.personalize.udfs.recommend.ItemCooccurrence;
import io.personalize.udfs.recommend.RecommendationCandidates;
import io.personalize.udfs.recommend.Recommender;
import io.personalize.udfs.recommend.TopItems;
import io.personalize.udfs.segment.CustomerSegments;
import io.personalize.udfs.sentiment.SentimentFeatures;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.local.LocalDataInputStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Scores a file offline with the registry's current version of one model, with the stream's code:
 * sentiment reads one sentence per line and prints one probability per line; the other models read
 * an event file (Avro container or JSON lines), replay each user's features in file order and print
 * one JSON line per event.
 */
@Command(name = "models predict", mixinStandardHelpOptions = true,
        description = "Score a file offline with the registry's current version of a model.")
public final class PredictModel implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true,
            description = "sentiment, propensity, churn, segment or recommend")
    String model;

    @Option(names = "--input", required = true, description = "Sentences (sentiment) or an event file (the others).")
    Path input;

    @Option(names = "--models-dir", description = "Model registry. Default: ${DEFAULT-VALUE}")
    Path modelsDir = Path.of("models");

    @Option(names = "--max-items", description = "Items per recommendation. Default: ${DEFAULT-VALUE}")
    int maxItems = 20;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PredictModel()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ModelRegistry registry = new ModelRegistry(modelsDir);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        switch (model) {
            case DecisionPolicy.SENTIMENT_MODEL -> sentiment(registry, out);
            case DecisionPolicy.PROPENSITY_MODEL, DecisionPolicy.CHURN_MODEL, CustomerSegments.MODEL,
                    Recommender.RANKER_MODEL -> events(registry, out);
            default -> {
                System.err.println("unknown model '" + model + "'; known: sentiment, propensity, churn, segment, recommend");
                return 2;
            }
        }
        out.flush();
        return 0;
    }

    private void sentiment(ModelRegistry registry, PrintStream out) throws Exception {
        List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
        ModelRegistry.ModelVersion version = registry.current(model, SentimentFeatures.featureNames());
        try (BatchingScorer scorer = BatchingScorer.open(version, 256, 1, n -> { }, "predict")) {
            for (int from = 0; from < lines.size(); from += 256) {
                List<String> batch = lines.subList(from, Math.min(lines.size(), from + 256));
                float[] scores = scorer.scoreNow(batch.stream().map(SentimentFeatures::row).toArray(float[][]::new));
                for (float score : scores) {
                    out.printf(java.util.Locale.ROOT, "%.6f%n", score);
                }
            }
        }
        System.err.printf("%s %s: %,d lines scored%n", model, version.version(), lines.size());
    }

    private void events(ModelRegistry registry, PrintStream out) throws Exception {
        boolean recommend = model.equals(Recommender.RANKER_MODEL);
        boolean segment = model.equals(CustomerSegments.MODEL);
        ModelRegistry.ModelVersion version = registry.current(model, recommend ? RecommendationCandidates.FEATURE_NAMES
                : segment ? CustomerSegments.FEATURES : FeatureVector.NAMES);
        CustomerSegments segments = segment ? CustomerSegments.read(version.file()) : null;
        BatchingScorer scorer = segment ? null : BatchingScorer.open(version, 4096, 1, n -> { }, "predict");
        CooccurrenceSinceCut cooccurrence = recommend ? CooccurrenceSinceCut.loadCurrent(modelsDir) : null;
        ItemCooccurrence.InMemory counted = new ItemCooccurrence.InMemory(Recommender.TOP_ITEMS);
        TopItems top = null;
        RecommendationCandidates generator = Recommender.candidates();
        ItemGate gate = recommend ? ItemGate.load(modelsDir) : null;
        if (gate != null && gate.unavailable() != null) {
            System.err.println("Candidates are not screened: " + gate.unavailable());
        }
        Map<String, UserFeatures> users = new HashMap<>();
        long scored = 0;
        long rejected = 0;
        try (var reader = new EventFileFormat(1 << 20).createReader(new Configuration(),
                new LocalDataInputStream(input.toFile()))) {
            DecodedEvent decoded;
            while ((decoded = reader.read()) != null) {
                if (!decoded.isValid()) {
                    rejected++;
                    System.err.println("skipped: " + decoded.deadLetter.getReason() + ": " + decoded.deadLetter.getError());
                    continue;
                }
                UserEvent e = decoded.event;
                UserFeatures f = users.computeIfAbsent(e.getUserId(), u -> new UserFeatures());
                FeatureUpdater.apply(f, e);
                FeaturizedEvent featurized = FeaturizedEvent.of(e, f);
                ObjectNode line = JSON.createObjectNode();
                line.put("eventId", e.getEventId());
                line.put("userId", e.getUserId());
                line.put("model", model);
                line.put("version", version.version());
                if (segment) {
                    int s = segments.segmentOf(featurized.features);
                    line.put("segment", CustomerSegments.NAMES.get(s));
                } else if (recommend) {
                    // as the job does: the gate holds candidates back before they are ranked
                    var candidates = generator.generate(featurized, cooccurrence.view(counted),
                            cooccurrence.popular(top)).shownBy(gate);
                    var items = line.putArray("items");
                    if (candidates.size() > 0) {
                        float[] scores = scorer.scoreNow(candidates.rows());
                        for (int c : candidates.select(scores, maxItems)) {
                            items.add(candidates.items()[c]);
                        }
                    }
                    CooccurrenceUpdate update = ItemCooccurrence.updateFor(featurized);
                    if (update != null && !cooccurrence.alreadyCounted(update)) {
                        top = cooccurrence.count(counted, top, update);
                    }
                } else {
                    line.put("score", scorer.scoreNow(new float[][] {featurized.features})[0]);
                }
                out.println(JSON.writeValueAsString(line));
                scored++;
            }
        } finally {
            if (scorer != null) {
                scorer.close();
            }
        }
        System.err.printf("%s %s: %,d events scored, %,d skipped%n", model, version.version(), scored, rejected);
    }
}
