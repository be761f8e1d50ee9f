package io.personalize.udfs.training;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recall@K and MRR@K of ranked lists against the items of the basket that followed, averaged over
 * baskets; once over all the basket's items and once over the items new to the customer (baskets
 * without new items do not count there).
 */
public final class RankingMetrics {
    private final int k;
    private double recallSum;
    private double mrrSum;
    private long baskets;
    private double newRecallSum;
    private double newMrrSum;
    private long newBaskets;

    public RankingMetrics(int k) {
        this.k = k;
    }

    /** One prediction: the ranked items, the basket that followed, and what the customer had bought before. */
    public void add(List<String> ranked, Set<String> basket, Set<String> boughtBefore) {
        if (basket.isEmpty()) {
            return;
        }
        baskets++;
        int hits = 0;
        int newItems = 0;
        int newHits = 0;
        double reciprocalRank = 0;
        double newReciprocalRank = 0;
        for (String item : basket) {
            if (!boughtBefore.contains(item)) {
                newItems++;
            }
        }
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            String item = ranked.get(i);
            if (basket.contains(item)) {
                hits++;
                if (reciprocalRank == 0) {
                    reciprocalRank = 1.0 / (i + 1);
                }
                if (!boughtBefore.contains(item)) {
                    newHits++;
                    if (newReciprocalRank == 0) {
                        newReciprocalRank = 1.0 / (i + 1);
                    }
                }
            }
        }
        recallSum += (double) hits / basket.size();
        mrrSum += reciprocalRank;
        if (newItems > 0) {
            newBaskets++;
            newRecallSum += (double) newHits / newItems;
            newMrrSum += newReciprocalRank;
        }
    }

    public long baskets() {
        return baskets;
    }

    public double recall() {
        return baskets == 0 ? Double.NaN : recallSum / baskets;
    }

    public double mrr() {
        return baskets == 0 ? Double.NaN : mrrSum / baskets;
    }

    public long newItemBaskets() {
        return newBaskets;
    }

    public double newItemRecall() {
        return newBaskets == 0 ? Double.NaN : newRecallSum / newBaskets;
    }

    public double newItemMrr() {
        return newBaskets == 0 ? Double.NaN : newMrrSum / newBaskets;
    }

    public String summary() {
        return String.format(Locale.ROOT, "Recall@%d %.4f MRR@%d %.4f | new items: Recall@%d %.4f MRR@%d %.4f (%,d/%,d baskets)",
                k, recall(), k, mrr(), k, newItemRecall(), k, newItemMrr(), newBaskets, baskets);
    }
}
