package io.personalize.udfs.training;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.recommend.CooccurrenceArtifact;
import io.personalize.udfs.recommend.CooccurrenceUpdate;
import io.personalize.udfs.recommend.ItemCooccurrence;
import io.personalize.udfs.recommend.ItemNeighbors;
import io.personalize.udfs.recommend.RecommendationCandidates;
import io.personalize.udfs.recommend.Recommender;
import io.personalize.udfs.recommend.TopItems;
import io.personalize.udfs.training.CustomerOrders.Order;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;

/**
 * Trains the next-item recommender: replays the events in time order with the stream's feature
 * and co-occurrence code, and at the end of every order asks for candidates
 * ({@link RecommendationCandidates}) labelled with the customer's next order. Orders before the cut
 * train the ranker; orders from the cut on measure it, beside two baselines computed in the same
 * replay: "repeat what this customer bought, then most popular so far" and item-to-item
 * co-purchase kNN.
 */
public final class RecommenderTrainer {
    public static final int K = 20;
    /** The baselines' lists are this long, so that K remain after a gate holds some back. */
    private static final int BASELINE_LENGTH = 2 * K;

    private final String dataName;
    private final int rounds;

    public RecommenderTrainer(String dataName, int rounds) {
        this.dataName = dataName;
        this.rounds = rounds;
    }

    public record Report(ModelRegistry.ModelVersion ranker, ModelRegistry.ModelVersion cooccurrence,
            int trainGroups, int trainRows, Map<String, RankingMetrics> firstOrderAfterCut,
            Map<String, RankingMetrics> allOrdersAfterCut, float maxServingDifference) {}

    private record TestPoint(RecommendationCandidates.Candidates candidates, Set<String> basket, Set<String> boughtBefore,
            List<String> repeatBaseline, List<String> knnBaseline, boolean firstAfterCut) {}

    private record Replay(List<float[]> trainRows, List<Float> trainLabels, List<Integer> trainGroupSizes,
            List<TestPoint> test, CooccurrenceArtifact atCut) {}

    /** Replays the events: training groups before the cut, test points (with baselines) from it on. */
    private static Replay replay(List<UserEvent> events, long cutMs) {
        Map<String, List<Order>> orders = CustomerOrders.byUser(events);
        RecommendationCandidates generator = Recommender.candidates();
        ItemCooccurrence.InMemory index = new ItemCooccurrence.InMemory(Recommender.TOP_ITEMS);
        Map<String, Integer> ordersDone = new HashMap<>();
        Map<String, Map<String, long[]>> bought = new HashMap<>(); // user -> item -> {count, last event index}
        Map<String, Set<String>> buyers = new HashMap<>();
        PopularSoFar popularSoFar = new PopularSoFar(buyers);
        List<float[]> trainRows = new ArrayList<>();
        List<Float> trainLabels = new ArrayList<>();
        List<Integer> trainGroupSizes = new ArrayList<>();
        List<TestPoint> test = new ArrayList<>();
        CooccurrenceArtifact[] atCut = new CooccurrenceArtifact[1];

        OfflineFeatures.replay(events, (i, e, features, vector) -> {
            if (atCut[0] == null && e.getEventTime() >= cutMs) {
                atCut[0] = snapshot(index, cutMs);
            }
            FeaturizedEvent featurized = FeaturizedEvent.of(e, features);
            String user = e.getUserId();
            // the customer's history includes this event: the decision is made after it
            if (e.getEventType() == EventType.PURCHASE && e.getItemId() != null) {
                long[] counts = bought.computeIfAbsent(user, u -> new HashMap<>())
                        .computeIfAbsent(e.getItemId(), item -> new long[2]);
                counts[0]++;
                counts[1] = i;
                if (buyers.computeIfAbsent(e.getItemId(), item -> new HashSet<>()).add(user)) {
                    popularSoFar.changed(e.getEventTime());
                }
            }
            if (e.getEventType() == EventType.PURCHASE && CustomerOrders.endsOrder(events, i)) {
                int done = ordersDone.merge(user, 1, Integer::sum);
                List<Order> userOrders = orders.get(user);
                if (done < userOrders.size()) {
                    Order next = userOrders.get(done);
                    RecommendationCandidates.Candidates candidates = generate(generator, featurized, index);
                    if (next.time() < cutMs) {
                        for (int c = 0; c < candidates.size(); c++) {
                            trainRows.add(candidates.rows()[c]);
                            trainLabels.add(next.items().contains(candidates.items()[c]) ? 1f : 0f);
                        }
                        trainGroupSizes.add(candidates.size());
                    } else {
                        Map<String, long[]> history = bought.getOrDefault(user, Map.of());
                        test.add(new TestPoint(candidates, next.items(),
                                Set.copyOf(history.keySet()), repeatThenPopular(history, popularSoFar),
                                knn(history.keySet(), index, popularSoFar), e.getEventTime() < cutMs));
                    }
                }
            }
            CooccurrenceUpdate update = ItemCooccurrence.updateFor(featurized);
            if (update != null) {
                index.apply(update);
            }
        });
        if (atCut[0] == null) {
            atCut[0] = snapshot(index, cutMs);
        }
        return new Replay(trainRows, trainLabels, trainGroupSizes, test, atCut[0]);
    }

    /** The two baselines on the orders from the cut on: the first after it per customer, and every one. */
    public static Map<String, Map<String, RankingMetrics>> baselines(List<UserEvent> events, long cutMs) {
        return baselines(events, cutMs, null);
    }

    /**
     * The baselines, and when {@code shown} is given, also each baseline's list with only the items
     * it lets through, the next ones moving up, as {@code <name>_gated}: what the job's item gate does
     * to its candidates before they are ranked.
     */
    public static Map<String, Map<String, RankingMetrics>> baselines(List<UserEvent> events, long cutMs,
            Predicate<String> shown) {
        Map<String, RankingMetrics> first = newMetrics();
        Map<String, RankingMetrics> all = newMetrics();
        first.remove("ranker");
        all.remove("ranker");
        if (shown != null) {
            for (Map<String, RankingMetrics> metrics : List.of(first, all)) {
                metrics.put("repeat_then_popular_gated", new RankingMetrics(K));
                metrics.put("item_knn_gated", new RankingMetrics(K));
            }
        }
        for (TestPoint point : replay(events, cutMs).test()) {
            List<String> repeatGated = shown == null ? null : point.repeatBaseline().stream().filter(shown).limit(K).toList();
            List<String> knnGated = shown == null ? null : point.knnBaseline().stream().filter(shown).limit(K).toList();
            for (Map<String, RankingMetrics> metrics : point.firstAfterCut() ? List.of(first, all) : List.of(all)) {
                metrics.get("repeat_then_popular").add(point.repeatBaseline(), point.basket(), point.boughtBefore());
                metrics.get("item_knn").add(point.knnBaseline(), point.basket(), point.boughtBefore());
                if (shown != null) {
                    metrics.get("repeat_then_popular_gated").add(repeatGated, point.basket(), point.boughtBefore());
                    metrics.get("item_knn_gated").add(knnGated, point.basket(), point.boughtBefore());
                }
            }
        }
        return Map.of("first_order_after_cut", first, "every_order_after_cut", all);
    }

    public Report train(ModelRegistry registry, String version, List<UserEvent> events, long cutMs) throws Exception {
        Replay replay = replay(events, cutMs);
        List<float[]> trainRows = replay.trainRows();
        List<Float> trainLabels = replay.trainLabels();
        List<Integer> trainGroupSizes = replay.trainGroupSizes();
        List<TestPoint> test = replay.test();
        CooccurrenceArtifact[] atCut = {replay.atCut()};
        // hit probabilities, comparable across customers: the list mixes own and new items by them
        Map<String, Object> params = XgbTraining.params("binary:logistic", "logloss", 6);
        DMatrix trainMatrix = XgbTraining.matrix(trainRows, trainLabels, RecommendationCandidates.WIDTH);
        Booster booster = XgbTraining.train(trainMatrix, params, rounds);
        trainMatrix.dispose();

        Map<String, RankingMetrics> first = newMetrics();
        Map<String, RankingMetrics> all = newMetrics();
        float[][] sample = null;
        float[] sampleScores = null;
        for (TestPoint point : test) {
            float[][] rows = point.candidates().rows();
            float[] scores = XgbTraining.predict(booster, rows, RecommendationCandidates.WIDTH);
            if (sample == null) {
                sample = rows;
                sampleScores = scores;
            }
            List<String> ranked = new ArrayList<>(K);
            for (int c : point.candidates().select(scores, K)) {
                ranked.add(point.candidates().items()[c]);
            }
            for (Map<String, RankingMetrics> metrics : point.firstAfterCut() ? List.of(first, all) : List.of(all)) {
                metrics.get("ranker").add(ranked, point.basket(), point.boughtBefore());
                metrics.get("repeat_then_popular").add(point.repeatBaseline(), point.basket(), point.boughtBefore());
                metrics.get("item_knn").add(point.knnBaseline(), point.basket(), point.boughtBefore());
            }
        }

        Path indexDir = registry.versionDir(Recommender.COOCCURRENCE_MODEL, version);
        Path indexFile = indexDir.resolve("cooccurrence.json.gz");
        atCut[0].write(indexFile);
        ModelMetadata indexMetadata = ModelMetadata.of(Recommender.COOCCURRENCE_MODEL, version, "table", dataName)
                .trainedBetween(events.get(0).getEventTime(), cutMs);
        indexMetadata.params = Map.of("max_neighbors", Integer.toString(ItemNeighbors.MAX_NEIGHBORS),
                "top_items", Integer.toString(Recommender.TOP_ITEMS),
                "items", Integer.toString(atCut[0].items.size()),
                "rule", "co-purchase with the user's previous distinct purchases (co-view for views/clicks/carts)");
        ModelRegistry.ModelVersion indexVersion = registry.writeVersion(indexMetadata, indexFile);

        Path rankerDir = registry.versionDir(Recommender.RANKER_MODEL, version);
        Path rankerFile = rankerDir.resolve(Recommender.RANKER_MODEL + ".json");
        booster.saveModel(rankerFile.toString());
        ModelMetadata rankerMetadata = ModelMetadata.of(Recommender.RANKER_MODEL, version, "XGBoost", dataName)
                .trainedBetween(events.get(0).getEventTime(), cutMs);
        rankerMetadata.featureNames = RecommendationCandidates.FEATURE_NAMES;
        rankerMetadata.metrics = new LinkedHashMap<>();
        put(rankerMetadata.metrics, "first_order_after_cut", first);
        put(rankerMetadata.metrics, "all_orders_after_cut", all);
        rankerMetadata.metrics.put("train_groups", (double) trainGroupSizes.size());
        rankerMetadata.metrics.put("train_rows", (double) trainRows.size());
        XgbTraining.recordParams(rankerMetadata, params, rounds);
        rankerMetadata.params.put("cooccurrence_version", version);
        rankerMetadata.reference = XgbTraining.driftReference(booster, RecommendationCandidates.FEATURE_NAMES, trainRows);
        ModelRegistry.ModelVersion rankerVersion = registry.writeVersion(rankerMetadata, rankerFile);
        booster.dispose();

        float maxDifference = sample == null ? 0 : XgbTraining.verifyServing(rankerVersion, sample, sampleScores);
        registry.makeCurrent(Recommender.COOCCURRENCE_MODEL, version);
        registry.makeCurrent(Recommender.RANKER_MODEL, version);
        return new Report(rankerVersion, indexVersion, trainGroupSizes.size(), trainRows.size(), first, all,
                maxDifference);
    }

    private static RecommendationCandidates.Candidates generate(RecommendationCandidates generator,
            FeaturizedEvent featurized, ItemCooccurrence.InMemory index) {
        try {
            return generator.generate(featurized, index, index.top);
        } catch (Exception e) {
            throw new IllegalStateException(e); // a heap index does not fail
        }
    }

    private static CooccurrenceArtifact snapshot(ItemCooccurrence.InMemory index, long cutMs) {
        // a deep copy through JSON, so later updates do not reach the snapshot
        try {
            var json = ModelRegistry.json();
            return json.readValue(json.writeValueAsBytes(new CooccurrenceArtifact(cutMs, index)),
                    CooccurrenceArtifact.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }


    private static Map<String, RankingMetrics> newMetrics() {
        Map<String, RankingMetrics> m = new LinkedHashMap<>();
        m.put("ranker", new RankingMetrics(K));
        m.put("repeat_then_popular", new RankingMetrics(K));
        m.put("item_knn", new RankingMetrics(K));
        return m;
    }

    private static void put(Map<String, Double> out, String prefix, Map<String, RankingMetrics> metrics) {
        metrics.forEach((name, m) -> {
            out.put(prefix + "_" + name + "_recall_at_20", m.recall());
            out.put(prefix + "_" + name + "_mrr_at_20", m.mrr());
            out.put(prefix + "_" + name + "_new_items_recall_at_20", m.newItemRecall());
            out.put(prefix + "_" + name + "_new_items_mrr_at_20", m.newItemMrr());
        });
        out.put(prefix + "_orders", (double) metrics.get("ranker").baskets());
    }

    /** Baseline 1: the customer's items by purchase count, then recency; then the most popular so far. */
    static List<String> repeatThenPopular(Map<String, long[]> history, PopularSoFar popular) {
        List<Map.Entry<String, long[]>> entries = new ArrayList<>(history.entrySet());
        entries.sort((a, b) -> a.getValue()[0] != b.getValue()[0] ? Long.compare(b.getValue()[0], a.getValue()[0])
                : Long.compare(b.getValue()[1], a.getValue()[1]));
        List<String> ranked = new ArrayList<>(BASELINE_LENGTH);
        for (int i = 0; i < Math.min(BASELINE_LENGTH, entries.size()); i++) {
            ranked.add(entries.get(i).getKey());
        }
        return popular.fill(ranked);
    }

    /** Baseline 2: item-to-item co-purchase kNN, cosine over the co-occurrence counts, summed over the customer's items. */
    static List<String> knn(Set<String> history, ItemCooccurrence.InMemory index, PopularSoFar popular) {
        Map<String, Double> scores = new HashMap<>();
        for (String item : history) {
            ItemNeighbors n = index.get(item);
            if (n == null || n.occurrences == 0) {
                continue;
            }
            for (int j = 0; j < n.items.length; j++) {
                ItemNeighbors other = index.get(n.items[j]);
                long otherCount = other == null ? 1 : Math.max(1, other.occurrences);
                scores.merge(n.items[j], n.counts[j] / Math.sqrt((double) n.occurrences * otherCount), Double::sum);
            }
        }
        List<String> ranked = scores.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(BASELINE_LENGTH).map(Map.Entry::getKey).collect(java.util.stream.Collectors.toCollection(ArrayList::new));
        return popular.fill(ranked);
    }

    /** Items by distinct buyers so far, recomputed at most once per day of event time. */
    static final class PopularSoFar {
        private final Map<String, Set<String>> buyers;
        private long computedDay = Long.MIN_VALUE;
        private long latestDay = Long.MIN_VALUE;
        private List<String> top = List.of();

        PopularSoFar(Map<String, Set<String>> buyers) {
            this.buyers = buyers;
        }

        void changed(long eventTime) {
            latestDay = eventTime / 86_400_000L;
        }

        List<String> fill(List<String> ranked) {
            if (computedDay != latestDay) {
                top = DefaultModelTrainer.byDistinctBuyers(buyers, 2L * BASELINE_LENGTH).map(Map.Entry::getKey).toList();
                computedDay = latestDay;
            }
            Set<String> seen = new HashSet<>(ranked);
            for (String item : top) {
                if (ranked.size() >= BASELINE_LENGTH) {
                    break;
                }
                if (seen.add(item)) {
                    ranked.add(item);
                }
            }
            return ranked;
        }
    }




}
