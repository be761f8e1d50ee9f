package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.personalize.jobs.JobSettings;
import io.personalize.jobs.PersonalizationJob;
import io.personalize.jobs.training.TrainModels;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.ScoredItem;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.decision.ItemGate;
import io.personalize.udfs.recommend.Recommender;
import io.personalize.udfs.training.CustomerOrders;
import io.personalize.udfs.training.OnlineRetailEvents;
import io.personalize.udfs.training.RankingMetrics;
import io.personalize.udfs.training.RecommenderTrainer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.flink.api.common.serialization.Encoder;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Replays UCI Online Retail in event-time order through the job's DAG (bounded, in a local
 * MiniCluster) with models trained only on the data before the cut, writes every decision to
 * {@code DIR/decisions.jsonl}, and scores the recommendations against each customer's next order
 * after the cut, beside the repeat-then-popular and item-kNN baselines.
 */
@Command(name = "backtest", mixinStandardHelpOptions = true,
        description = "Replay a dataset through the job (bounded) and measure Recall@20 / MRR@20 of its decisions.")
public final class Backtest implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", description = "Dataset: online-retail")
    String dataset;

    @Option(names = "--out", required = true, description = "Output folder (decisions.jsonl, metrics.json, models/).")
    Path out;

    @Option(names = "--data", description = "Online Retail CSV (gzip). Default: ../shared/data/online-retail/online_retail.csv.gz")
    Path data = OnlineRetailEvents.defaultFile();

    @Option(names = "--cut", description = "Models train on the data before this day (UTC). Default: ${DEFAULT-VALUE}")
    String cut = "2011-09-01";

    @Option(names = "--models-dir", description = "Registry trained with the same cut. Default: OUT/models, trained if missing.")
    Path modelsDir;

    @Option(names = "--parallelism", description = "Parallelism of the replay. Default: ${DEFAULT-VALUE}")
    int parallelism = 2;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Backtest()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!dataset.equals("online-retail")) {
            System.err.println("unknown dataset '" + dataset + "'; known: online-retail");
            return 2;
        }
        Files.createDirectories(out);
        long cutMs = Instant.parse(cut + "T00:00:00Z").toEpochMilli();
        Path models = modelsDir != null ? modelsDir : out.resolve("models");
        if (!Files.exists(models.resolve(Recommender.RANKER_MODEL).resolve("CURRENT"))) {
            System.out.println("Training the models on the data before " + cut + " into " + models);
            int code = new CommandLine(new TrainModels()).execute("--models-dir", models.toString(), "--cut", cut,
                    "--data", data.toString());
            if (code != 0) {
                return code;
            }
        }
        List<UserEvent> events = OnlineRetailEvents.load(data).events();
        Path eventsFile = out.resolve("online-retail-events.avro");
        try (DataFileWriter<UserEvent> writer = new DataFileWriter<>(new SpecificDatumWriter<>(UserEvent.class))) {
            writer.create(UserEvent.getClassSchema(), eventsFile.toFile());
            for (UserEvent e : events) {
                writer.append(e);
            }
        }
        System.out.printf("Replaying %,d events (%s) through the job ...%n", events.size(), eventsFile);
        long started = System.nanoTime();
        Path parts = out.resolve("decision-parts");
        deleteRecursively(parts);
        JobSettings settings = JobSettings.fromArgs(new String[] {"--input-files", eventsFile.toString(),
                "--models-dir", models.toString(), "--experiment.weights", "0;1", "--model-timeout", "PT30S"});
        Configuration config = PersonalizationJob.environmentConfig(settings);
        config.set(RestOptions.BIND_PORT, "0");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, config);
        FileSink<PersonalizationDecision> decisions = FileSink
                .forRowFormat(new org.apache.flink.core.fs.Path(parts.toUri()), new DecisionJsonLines())
                .build();
        PersonalizationJob.defineWorkflow(env, PersonalizationJob.sources(settings),
                new PersonalizationJob.Sinks(decisions, new DiscardingSink<>(), new DiscardingSink<>(),
                        new DiscardingSink<>(), new DiscardingSink<>(), null, null), settings);
        env.execute("backtest-" + dataset);
        double seconds = (System.nanoTime() - started) / 1e9;

        Path jsonl = out.resolve("decisions.jsonl");
        long written = concatenate(parts, jsonl);
        deleteRecursively(parts);
        System.out.printf("%,d decisions in %.0f s (%,.0f events/s) -> %s%n", written, seconds, events.size() / seconds, jsonl);

        Map<String, Map<String, RankingMetrics>> job = evaluate(jsonl, events, cutMs);
        // the job shows only what its item gate lets through (no postage, fees or unsafe items); the
        // baselines are also measured with the same gate on their lists
        ItemGate gate = ItemGate.load(models);
        if (gate.unavailable() != null) {
            throw new IllegalStateException("The registry's item gate cannot be loaded: " + gate.unavailable());
        }
        Map<String, Map<String, RankingMetrics>> baselines = RecommenderTrainer.baselines(events, cutMs, gate::shows);
        ObjectNode metrics = JSON.createObjectNode();
        for (String split : List.of("first_order_after_cut", "every_order_after_cut")) {
            Map<String, RankingMetrics> rows = new LinkedHashMap<>(job.get(split));
            rows.putAll(baselines.get(split));
            System.out.println(split + ":");
            ObjectNode node = metrics.putObject(split);
            rows.forEach((name, m) -> {
                System.out.printf("  %-26s %s%n", name, m.summary());
                ObjectNode n = node.putObject(name);
                n.put("orders", m.baskets());
                n.put("recall_at_20", m.recall());
                n.put("mrr_at_20", m.mrr());
                n.put("new_item_orders", m.newItemBaskets());
                n.put("new_items_recall_at_20", m.newItemRecall());
                n.put("new_items_mrr_at_20", m.newItemMrr());
            });
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(out.resolve("metrics.json").toFile(), metrics);
        System.out.println("Metrics: " + out.resolve("metrics.json"));
        return 0;
    }

    /** The job's recommendations: for each order from the cut on, the customer's last decision before it. */
    static Map<String, Map<String, RankingMetrics>> evaluate(Path jsonl, List<UserEvent> events, long cutMs)
            throws IOException {
        record Decision(long eventTime, long line, List<String> items) {}
        Map<String, List<Decision>> byUser = new HashMap<>();
        try (var lines = Files.lines(jsonl, StandardCharsets.UTF_8)) {
            lines.forEach(line -> {
                try {
                    JsonNode d = JSON.readTree(line);
                    List<String> items = new ArrayList<>();
                    d.get("items").forEach(i -> items.add(i.asText()));
                    String trigger = d.get("triggerEventId").asText();
                    long lineNumber = Long.parseLong(trigger.substring(trigger.lastIndexOf('-') + 1));
                    byUser.computeIfAbsent(d.get("userId").asText(), u -> new ArrayList<>())
                            .add(new Decision(d.get("eventTime").asLong(), lineNumber, items));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        byUser.values().forEach(list -> list.sort((a, b) -> a.eventTime() != b.eventTime()
                ? Long.compare(a.eventTime(), b.eventTime()) : Long.compare(a.line(), b.line())));
        RankingMetrics first = new RankingMetrics(RecommenderTrainer.K);
        RankingMetrics all = new RankingMetrics(RecommenderTrainer.K);
        CustomerOrders.byUser(events).forEach((user, orders) -> {
            Set<String> before = new HashSet<>();
            List<Decision> decisions = byUser.getOrDefault(user, List.of());
            int seen = 0; // decisions made before the next order; both lists are in time order
            for (int k = 0; k + 1 < orders.size(); k++) {
                before.addAll(orders.get(k).items());
                CustomerOrders.Order next = orders.get(k + 1);
                while (seen < decisions.size() && decisions.get(seen).eventTime() < next.time()) {
                    seen++;
                }
                if (next.time() < cutMs) {
                    continue;
                }
                List<String> ranked = seen == 0 ? List.of() : decisions.get(seen - 1).items();
                all.add(ranked, next.items(), before);
                if (orders.get(k).time() < cutMs) {
                    first.add(ranked, next.items(), before);
                }
            }
        });
        return Map.of("first_order_after_cut", Map.of("job", first), "every_order_after_cut", Map.of("job", all));
    }

    /** One decision per line: userId, eventTime, items (best first), and what else explains it. */
    static final class DecisionJsonLines implements Encoder<PersonalizationDecision> {
        private static final long serialVersionUID = 1L;
        private static final ObjectMapper MAPPER = new ObjectMapper();

        @Override
        public void encode(PersonalizationDecision d, OutputStream stream) throws IOException {
            ObjectNode node = MAPPER.createObjectNode();
            node.put("decisionId", d.getDecisionId());
            node.put("userId", d.getUserId());
            node.put("eventTime", d.getEventTime());
            node.put("triggerEventId", d.getTriggerEventId());
            node.put("action", d.getAction().name());
            var items = node.putArray("items");
            var sources = node.putArray("itemSources");
            for (ScoredItem item : d.getItems()) {
                items.add(item.getItemId());
                sources.add(item.getSource());
            }
            var versions = node.putObject("modelVersions");
            d.getModelScores().forEach(s -> versions.put(s.getModel(), s.getVersion()));
            node.put("fallback", d.getFallback());
            stream.write(MAPPER.writeValueAsBytes(node));
            stream.write('\n');
        }
    }

    private static long concatenate(Path parts, Path target) throws IOException {
        long lines = 0;
        try (BufferedWriter writer = Files.newBufferedWriter(target, StandardCharsets.UTF_8);
                var files = Files.walk(parts)) {
            for (Path part : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted().toList()) {
                for (String line : Files.readAllLines(part, StandardCharsets.UTF_8)) {
                    writer.write(line);
                    writer.write('\n');
                    lines++;
                }
            }
        }
        return lines;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
