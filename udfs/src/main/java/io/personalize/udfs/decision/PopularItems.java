package io.personalize.udfs.decision;

import com.fasterxml.jackson.core.type.TypeReference;
import io.personalize.udfs.model.ModelRegistry;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;

/** The non-personalized ranking: items by popularity in the training data, best first. */
public final class PopularItems implements Serializable, io.personalize.udfs.recommend.ItemRanking {
    private static final long serialVersionUID = 1L;

    public static final String MODEL_NAME = "popularity";

    private final String version;
    private final String[] items;
    private final double[] scores;
    private transient java.util.Map<String, Integer> ranks;

    public PopularItems(String version, String[] items, double[] scores) {
        this.version = version;
        this.items = items;
        this.scores = scores;
    }

    public static PopularItems load(Path modelsDir) throws IOException {
        ModelRegistry.ModelVersion current = new ModelRegistry(modelsDir).current(MODEL_NAME, null);
        List<Entry> entries = ModelRegistry.json().readValue(current.file().toFile(), new TypeReference<>() {});
        String[] items = new String[entries.size()];
        double[] scores = new double[entries.size()];
        for (int i = 0; i < items.length; i++) {
            items[i] = entries.get(i).itemId;
            scores[i] = entries.get(i).score;
        }
        return new PopularItems(current.version(), items, scores);
    }

    public static PopularItems empty() {
        return new PopularItems("none", new String[0], new double[0]);
    }

    public String version() {
        return version;
    }

    @Override
    public int size() {
        return items.length;
    }

    @Override
    public String item(int rank) {
        return items[rank];
    }

    /** The item's rank, best 0, or -1 when it is not in the ranking. */
    @Override
    public int rankOf(String item) {
        if (ranks == null) {
            ranks = io.personalize.udfs.recommend.ItemRanking.ranks(items);
        }
        return ranks.getOrDefault(item, -1);
    }

    public double score(int rank) {
        return scores[rank];
    }

    /** One line of the popularity artifact. */
    public static class Entry {
        public String itemId;
        public double score;

        public Entry() {}

        public Entry(String itemId, double score) {
            this.itemId = itemId;
            this.score = score;
        }
    }
}
