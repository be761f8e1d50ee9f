package io.personalize.udfs.recommend;

import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.FeaturizedEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Candidate items for one user and event, each with the ranker's input row: the user's own items
 * (affinity, recent purchases, recent items), the items that co-occur with them, and popular items.
 * Training and the stream both call this, so the ranker is trained on the rows it scores.
 */
public final class RecommendationCandidates {
    public static final List<String> FEATURE_NAMES = List.of(
            "affinity", "affinity_rank", "recent_purchase_rank", "recent_item_rank",
            "cooc_sum", "cooc_max", "cooc_last", "cooc_hits", "cooc_rank", "cosine_sum", "cosine_rank",
            "item_occurrences_log", "popular_rank", "user_orders", "user_history_items",
            "hours_since_last_purchase");
    public static final int WIDTH = FEATURE_NAMES.size();

    private static final int ABSENT_AFFINITY_RANK = FeatureUpdater.MAX_AFFINITY_ITEMS;
    private static final int ABSENT_RECENT_RANK = 10;
    private static final int ABSENT_POPULAR_RANK = 1_000;
    private static final int HOURS_SINCE_LAST_PURCHASE = FeatureVector.NAMES.indexOf("hours_since_last_purchase");

    private final int maxCooccurring;
    private final int maxPopular;

    public RecommendationCandidates(int maxCooccurring, int maxPopular) {
        this.maxCooccurring = maxCooccurring;
        this.maxPopular = maxPopular;
    }

    /** Candidate items and their rows, in the same order. */
    public record Candidates(String[] items, float[][] rows, int ownItems) {
        public int size() {
            return items.length;
        }

        /** The user's own items (history) come first: candidates before {@code ownItems}. */
        public boolean isOwn(int candidate) {
            return candidate < ownItems;
        }

        /**
         * The {@code k} best candidates by score, best first, holding at least {@code minNew} items the
         * user has not had (when there are that many): the lowest-scored own items make room for them.
         */
        public int[] select(float[] scores, int k, int minNew) {
            int[] order = topK(scores, scores.length);
            int n = Math.min(k, order.length);
            int[] chosen = java.util.Arrays.copyOf(order, n);
            int newCount = 0;
            for (int c : chosen) {
                newCount += isOwn(c) ? 0 : 1;
            }
            int next = n;
            for (int slot = n - 1; slot >= 0 && newCount < minNew; slot--) {
                if (!isOwn(chosen[slot])) {
                    continue;
                }
                while (next < order.length && isOwn(order[next])) {
                    next++;
                }
                if (next == order.length) {
                    break;
                }
                chosen[slot] = order[next++];
                newCount++;
            }
            Integer[] boxed = java.util.Arrays.stream(chosen).boxed().toArray(Integer[]::new);
            java.util.Arrays.sort(boxed, (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a])
                    : Integer.compare(a, b));
            return java.util.Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
        }
    }

    public Candidates generate(FeaturizedEvent in, ItemCooccurrence.View cooccurrence, ItemRanking popular)
            throws Exception {
        Map<String, float[]> rows = new LinkedHashMap<>();
        double topAffinity = in.affinityScores.length == 0 ? 1 : in.affinityScores[0];
        for (int i = 0; i < in.affinityItems.length; i++) {
            float[] row = row(rows, in.affinityItems[i]);
            row[0] = (float) (in.affinityScores[i] / topAffinity);
            row[1] = i;
        }
        for (int i = 0; i < in.recentPurchases.length; i++) {
            row(rows, in.recentPurchases[i])[2] = i;
        }
        for (int i = 0; i < in.recentItems.length; i++) {
            row(rows, in.recentItems[i])[3] = i;
        }
        int historyItems = rows.size();

        // co-occurrence: sum over the user's items of P(candidate | item), and of the cosine
        Map<String, float[]> cooc = new HashMap<>();
        String last = in.recentItems.length > 0 ? in.recentItems[0] : null;
        for (String item : new ArrayList<>(rows.keySet())) {
            ItemNeighbors neighbors = cooccurrence.neighbors(item);
            if (neighbors == null || neighbors.occurrences == 0) {
                continue;
            }
            boolean isLast = item.equals(last);
            double rootOccurrences = Math.sqrt(neighbors.occurrences);
            for (int j = 0; j < neighbors.items.length; j++) {
                float p = (float) neighbors.counts[j] / neighbors.occurrences;
                float[] s = cooc.computeIfAbsent(neighbors.items[j], k -> new float[5]);
                s[0] += p;
                s[1] = Math.max(s[1], p);
                if (isLast) {
                    s[2] = p;
                }
                s[3]++;
                s[4] += (float) (neighbors.counts[j] / rootOccurrences);
            }
        }
        List<Map.Entry<String, float[]>> ranked = new ArrayList<>(cooc.entrySet());
        for (Map.Entry<String, float[]> e : ranked) {
            e.getValue()[4] /= (float) Math.sqrt(Math.max(1, cooccurrence.occurrences(e.getKey())));
        }
        addRanked(rows, ranked, 0, 8, maxCooccurring);
        addRanked(rows, ranked, 4, 10, maxCooccurring);
        for (int i = 0; i < Math.min(maxPopular, popular.size()); i++) {
            row(rows, popular.item(i));
        }

        String[] items = new String[rows.size()];
        float[][] out = new float[rows.size()][];
        float hours = in.features[HOURS_SINCE_LAST_PURCHASE];
        int k = 0;
        for (Map.Entry<String, float[]> e : rows.entrySet()) {
            float[] row = e.getValue();
            row[11] = (float) Math.log1p(cooccurrence.occurrences(e.getKey()));
            int popularRank = popular.rankOf(e.getKey());
            row[12] = popularRank < 0 ? ABSENT_POPULAR_RANK : popularRank;
            row[13] = in.orders;
            row[14] = historyItems;
            row[15] = hours;
            items[k] = e.getKey();
            out[k++] = row;
        }
        return new Candidates(items, out, historyItems);
    }

    /**
     * Ranks the co-occurring items by one score and adds the best {@code max} as candidates; every
     * co-occurring item already a candidate gets its co-occurrence features and rank.
     */
    private static void addRanked(Map<String, float[]> rows, List<Map.Entry<String, float[]>> cooc, int by,
            int rankColumn, int max) {
        cooc.sort((a, b) -> a.getValue()[by] != b.getValue()[by]
                ? Float.compare(b.getValue()[by], a.getValue()[by]) : a.getKey().compareTo(b.getKey()));
        for (int r = 0; r < cooc.size(); r++) {
            Map.Entry<String, float[]> e = cooc.get(r);
            float[] row = r < max ? row(rows, e.getKey()) : rows.get(e.getKey());
            if (row != null) {
                System.arraycopy(e.getValue(), 0, row, 4, 4);
                row[9] = e.getValue()[4];
                row[rankColumn] = r;
            }
        }
    }

    private static float[] row(Map<String, float[]> rows, String item) {
        return rows.computeIfAbsent(item, k -> {
            float[] r = new float[WIDTH];
            r[1] = ABSENT_AFFINITY_RANK;
            r[2] = ABSENT_RECENT_RANK;
            r[3] = ABSENT_RECENT_RANK;
            r[8] = Float.NaN; // not a co-occurrence candidate
            r[10] = Float.NaN;
            return r;
        });
    }

    /** True when the candidate came from co-occurrence (it has a co-occurrence rank). */
    public static boolean isCooccurring(float[] row) {
        return !Float.isNaN(row[8]) || !Float.isNaN(row[10]);
    }

    /** Indices of the {@code k} best scores, best first (ties: lower index first). */
    public static int[] topK(float[] scores, int k) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a])
                : Integer.compare(a, b));
        int n = Math.min(k, order.length);
        int[] top = new int[n];
        for (int i = 0; i < n; i++) {
            top[i] = order[i];
        }
        return top;
    }
}
