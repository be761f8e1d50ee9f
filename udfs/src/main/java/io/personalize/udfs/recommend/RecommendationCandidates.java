package io.personalize.udfs.recommend;

import io.personalize.udfs.decision.ItemGate;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.PurchasedItems;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

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
            "hours_since_last_purchase",
            "purchase_count", "purchase_count_rank", "bought_before", "user_repeat_share", "user_distinct_items",
            "purchase_count_per_order", "cooc_weighted", "cosine_weighted",
            "user_lines_per_order", "user_new_items_per_order",
            "hours_since_item_purchase", "item_purchase_gap_ratio");
    public static final int WIDTH = FEATURE_NAMES.size();

    private static final int ABSENT_AFFINITY_RANK = FeatureUpdater.MAX_AFFINITY_ITEMS;
    private static final int ABSENT_RECENT_RANK = 10;
    private static final int ABSENT_POPULAR_RANK = 1_000;
    private static final int ABSENT_PURCHASED_RANK = FeatureUpdater.MAX_PURCHASED_ITEMS;
    /** Column of {@code bought_before}: 1 when the user has had the item (own lists or the filter of bought items). */
    public static final int BOUGHT_BEFORE = FEATURE_NAMES.indexOf("bought_before");
    private static final int DAYS_SINCE_FIRST_EVENT = FeatureVector.NAMES.indexOf("days_since_first_event");
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

        /**
         * The candidates the item gate lets through, in the same order, their rows unchanged; all of
         * them when the gate is unavailable (the decision then fails closed on its own).
         */
        public Candidates shownBy(ItemGate gate) {
            return gate.unavailable() != null ? this : keep(gate::shows);
        }

        private Candidates keep(Predicate<String> shown) {
            int kept = 0;
            int ownKept = 0;
            boolean[] keep = new boolean[items.length];
            for (int c = 0; c < items.length; c++) {
                if (keep[c] = shown.test(items[c])) {
                    kept++;
                    ownKept += isOwn(c) ? 1 : 0;
                }
            }
            if (kept == items.length) {
                return this;
            }
            String[] keptItems = new String[kept];
            float[][] keptRows = new float[kept][];
            for (int c = 0, k = 0; c < items.length; c++) {
                if (keep[c]) {
                    keptItems[k] = items[c];
                    keptRows[k++] = rows[c];
                }
            }
            return new Candidates(keptItems, keptRows, ownKept);
        }

        /** The user's own items (history) come first: candidates before {@code ownItems}. */
        public boolean isOwn(int candidate) {
            return candidate < ownItems;
        }

        /** True when the user has not had the item: not one of their own items, nor in the filter of bought items. */
        public boolean isNew(int candidate) {
            float[] row = rows[candidate];
            return candidate >= ownItems && !(row != null && row.length > BOUGHT_BEFORE && row[BOUGHT_BEFORE] > 0);
        }

        /**
         * One list for both aims, repeat purchases and discovery, from the ranker's hit probabilities.
         * The {@code k} items are those with the highest probability, a new item's multiplied by
         * {@code newBoost}; they are then ordered greedily, each position taking the item with the
         * highest chance of being the first hit of the list so far plus {@code newWeight} times its
         * chance of being the first new hit (hits taken as independent). So the user's most likely
         * repeat purchase comes first, and a likely new item moves up once the repeats above it make a
         * first hit likely anyway.
         */
        public int[] select(float[] probabilities, int k, float newBoost, float newWeight) {
            float[] boosted = probabilities.clone();
            for (int c = 0; c < boosted.length; c++) {
                if (isNew(c)) {
                    boosted[c] *= newBoost;
                }
            }
            int[] chosen = topK(boosted, k);
            int[] ordered = new int[chosen.length];
            boolean[] used = new boolean[chosen.length];
            double missAll = 1;
            double missNew = 1;
            for (int position = 0; position < chosen.length; position++) {
                int best = -1;
                double bestValue = -1;
                for (int j = 0; j < chosen.length; j++) {
                    if (used[j]) {
                        continue;
                    }
                    int c = chosen[j];
                    double value = probabilities[c] * (missAll + (isNew(c) ? newWeight * missNew : 0));
                    if (value > bestValue) {
                        bestValue = value;
                        best = j;
                    }
                }
                used[best] = true;
                int c = chosen[best];
                ordered[position] = c;
                missAll *= 1 - probabilities[c];
                if (isNew(c)) {
                    missNew *= 1 - probabilities[c];
                }
            }
            return ordered;
        }

        /** {@link #select(float[], int, float, float)} with {@link Recommender}'s settings. */
        public int[] select(float[] probabilities, int k) {
            return select(probabilities, k, Recommender.NEW_ITEM_BOOST, Recommender.NEW_ITEM_WEIGHT);
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
        String[] purchased = in.purchasedItems == null ? new String[0] : in.purchasedItems;
        for (int i = 0; i < purchased.length; i++) {
            float[] row = row(rows, purchased[i]);
            row[16] = in.purchasedCounts[i];
            row[17] = i;
            if (in.purchasedHours != null && in.purchasedHours.length == purchased.length && in.purchasedHours[i] > 0) {
                row[26] = in.event.getEventTime() / 3_600_000L - in.purchasedHours[i];
            }
        }
        int historyItems = rows.size();

        Cooccurring cooc = Cooccurring.of(rows, in.recentItems.length > 0 ? in.recentItems[0] : null,
                cooccurrence);
        int[] byProbability = cooc.order(0);
        int[] byCosine = cooc.order(4);
        // the best co-occurring items by each score become candidates; the rows that exist before the
        // cosine's best are added (the user's items and the probability's best) carry the probability rank
        for (int r = 0; r < Math.min(maxCooccurring, byProbability.length); r++) {
            row(rows, cooc.items[byProbability[r]]);
        }
        int rankedByProbability = rows.size();
        for (int r = 0; r < Math.min(maxCooccurring, byCosine.length); r++) {
            row(rows, cooc.items[byCosine[r]]);
        }
        int[] probabilityRank = ranks(byProbability);
        int[] cosineRank = ranks(byCosine);
        int position = 0;
        for (Map.Entry<String, float[]> e : rows.entrySet()) {
            int i = cooc.indexOf(e.getKey());
            if (i >= 0) {
                float[] row = e.getValue();
                System.arraycopy(cooc.scores, i * Cooccurring.SCORES, row, 4, 4);
                row[9] = cooc.score(i, 4);
                row[22] = cooc.score(i, 5);
                row[23] = cooc.score(i, 6);
                row[8] = position < rankedByProbability ? probabilityRank[i] : Float.NaN;
                row[10] = cosineRank[i];
            }
            position++;
        }
        for (int i = 0; i < Math.min(maxPopular, popular.size()); i++) {
            row(rows, popular.item(i));
        }

        String[] items = new String[rows.size()];
        float[][] out = new float[rows.size()][];
        float hours = in.features[HOURS_SINCE_LAST_PURCHASE];
        long lines = in.repeatPurchaseLines + in.distinctPurchasedItems;
        float repeatShare = lines == 0 ? Float.NaN : (float) in.repeatPurchaseLines / lines;
        int k = 0;
        for (Map.Entry<String, float[]> e : rows.entrySet()) {
            float[] row = e.getValue();
            int i = cooc.indexOf(e.getKey());
            row[11] = (float) Math.log1p(i >= 0 ? cooc.occurrences[i] : cooccurrence.occurrences(e.getKey()));
            int popularRank = popular.rankOf(e.getKey());
            row[12] = popularRank < 0 ? ABSENT_POPULAR_RANK : popularRank;
            row[13] = in.orders;
            row[14] = historyItems;
            row[15] = hours;
            row[18] = k < historyItems || PurchasedItems.mightContain(in.purchasedItemBits, e.getKey()) ? 1 : 0;
            row[19] = repeatShare;
            row[20] = in.distinctPurchasedItems;
            row[21] = in.orders == 0 ? 0 : row[16] / in.orders;
            row[24] = in.orders == 0 ? 0 : (float) lines / in.orders;
            row[25] = in.orders == 0 ? 0 : (float) in.distinctPurchasedItems / in.orders;
            // time since the item was last bought, against the user's usual time per purchase of it
            float daysActive = in.features[DAYS_SINCE_FIRST_EVENT];
            row[27] = Float.isNaN(row[26]) || row[16] == 0 ? Float.NaN : row[26] / 24f / Math.max(1f, daysActive / row[16]);
            items[k] = e.getKey();
            out[k++] = row;
        }
        return new Candidates(items, out, historyItems);
    }

    /**
     * The items that co-occur with the user's items, each with seven scores: the sum, max and (for
     * the last item seen) value of P(item | user's item), the number of the user's items it
     * co-occurs with, the cosine (count / sqrt(occurrences of both)) summed over them, and the sums
     * of P and of the cosine weighted by each of the user's items' affinity and purchase recency.
     * Called for every event over thousands of pairs: items are indexed in an open-addressing table
     * and the scores kept in one flat array ({@link #SCORES} per item), so a pair costs no allocation.
     */
    private static final class Cooccurring {
        static final int SCORES = 7;

        final String[] items;
        final float[] scores;
        final long[] occurrences;
        private final String[] slotItems;
        private final int[] slotIndex;

        private Cooccurring(String[] items, float[] scores, long[] occurrences, String[] slotItems, int[] slotIndex) {
            this.items = items;
            this.scores = scores;
            this.occurrences = occurrences;
            this.slotItems = slotItems;
            this.slotIndex = slotIndex;
        }

        static Cooccurring of(Map<String, float[]> userItems, String last, ItemCooccurrence.View cooccurrence)
                throws Exception {
            List<ItemNeighbors> all = new ArrayList<>();
            List<String> ofItems = new ArrayList<>();
            int pairs = 0;
            for (String item : userItems.keySet()) {
                ItemNeighbors neighbors = cooccurrence.neighbors(item);
                if (neighbors != null && neighbors.occurrences > 0) {
                    all.add(neighbors);
                    ofItems.add(item);
                    pairs += neighbors.items.length;
                }
            }
            String[] slotItems = new String[Integer.highestOneBit(Math.max(8, pairs) * 2 - 1) << 1];
            int[] slotIndex = new int[slotItems.length];
            String[] items = new String[pairs];
            float[] scores = new float[pairs * SCORES];
            int size = 0;
            for (int n = 0; n < all.size(); n++) {
                ItemNeighbors neighbors = all.get(n);
                String item = ofItems.get(n);
                boolean isLast = item.equals(last);
                double rootOccurrences = Math.sqrt(neighbors.occurrences);
                float[] source = userItems.get(item);
                // the source's weight: its (decayed) affinity and how recently it was bought
                float weight = source[0] + (source[2] < ABSENT_RECENT_RANK ? 1f / (1 + source[2]) : 0f);
                for (int j = 0; j < neighbors.items.length; j++) {
                    String neighbor = neighbors.items[j];
                    int slot = slotOf(slotItems, neighbor);
                    if (slotItems[slot] == null) {
                        slotItems[slot] = neighbor;
                        slotIndex[slot] = size;
                        items[size++] = neighbor;
                    }
                    int s = slotIndex[slot] * SCORES;
                    float p = (float) neighbors.counts[j] / neighbors.occurrences;
                    float cosine = (float) (neighbors.counts[j] / rootOccurrences);
                    scores[s] += p;
                    scores[s + 1] = Math.max(scores[s + 1], p);
                    if (isLast) {
                        scores[s + 2] = p;
                    }
                    scores[s + 3]++;
                    scores[s + 4] += cosine;
                    scores[s + 5] += p * weight;
                    scores[s + 6] += cosine * weight;
                }
            }
            long[] occurrences = new long[size];
            for (int i = 0; i < size; i++) {
                occurrences[i] = cooccurrence.occurrences(items[i]);
                float root = (float) Math.sqrt(Math.max(1, occurrences[i]));
                scores[i * SCORES + 4] /= root;
                scores[i * SCORES + 6] /= root;
            }
            return new Cooccurring(Arrays.copyOf(items, size), scores, occurrences, slotItems, slotIndex);
        }

        /** The item's slot in the open-addressing table, or the empty slot where it goes. */
        private static int slotOf(String[] slotItems, String item) {
            int mask = slotItems.length - 1;
            int hash = item.hashCode();
            int slot = (hash ^ (hash >>> 16)) & mask;
            while (slotItems[slot] != null && !slotItems[slot].equals(item)) {
                slot = (slot + 1) & mask;
            }
            return slot;
        }

        /** The item's index, or -1 when it co-occurs with none of the user's items. */
        int indexOf(String item) {
            int slot = slotOf(slotItems, item);
            return slotItems[slot] == null ? -1 : slotIndex[slot];
        }

        float score(int item, int score) {
            return scores[item * SCORES + score];
        }

        /** Indices of the items by one score, highest first; ties by item id. */
        int[] order(int score) {
            long[] keyed = new long[items.length];
            for (int i = 0; i < keyed.length; i++) {
                keyed[i] = (descending(score(i, score)) << 32) | i;
            }
            Arrays.sort(keyed);
            int[] order = new int[keyed.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = (int) keyed[i];
            }
            for (int from = 0, to; from < order.length; from = to) {
                to = from + 1;
                while (to < order.length && keyed[to] >>> 32 == keyed[from] >>> 32) {
                    to++;
                }
                if (to - from > 1) {
                    sortByItem(order, from, to);
                }
            }
            return order;
        }

        /** Ties in order of their item ids: the ids are distinct, so each sorted id maps back to its index. */
        private void sortByItem(int[] order, int from, int to) {
            String[] tied = new String[to - from];
            for (int i = 0; i < tied.length; i++) {
                tied[i] = items[order[from + i]];
            }
            Arrays.sort(tied);
            for (int i = 0; i < tied.length; i++) {
                order[from + i] = indexOf(tied[i]);
            }
        }

        /** An unsigned 32-bit key that sorts finite floats from highest to lowest. */
        private static long descending(float value) {
            int bits = Float.floatToIntBits(value);
            int ascending = bits ^ ((bits >> 31) & 0x7fffffff); // signed order of the floats
            return ~(ascending ^ 0x80000000) & 0xffffffffL;
        }
    }

    private static int[] ranks(int[] order) {
        int[] rank = new int[order.length];
        for (int r = 0; r < order.length; r++) {
            rank[order[r]] = r;
        }
        return rank;
    }

    private static float[] row(Map<String, float[]> rows, String item) {
        return rows.computeIfAbsent(item, k -> {
            float[] r = new float[WIDTH];
            r[1] = ABSENT_AFFINITY_RANK;
            r[2] = ABSENT_RECENT_RANK;
            r[3] = ABSENT_RECENT_RANK;
            r[17] = ABSENT_PURCHASED_RANK;
            r[26] = Float.NaN; // not among the most-bought items
            r[27] = Float.NaN;
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
        Arrays.sort(order, (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a])
                : Integer.compare(a, b));
        int n = Math.min(k, order.length);
        int[] top = new int[n];
        for (int i = 0; i < n; i++) {
            top[i] = order[i];
        }
        return top;
    }
}
