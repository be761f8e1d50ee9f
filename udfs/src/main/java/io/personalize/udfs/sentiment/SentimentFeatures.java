package io.personalize.udfs.sentiment;

import io.personalize.udfs.features.TextFeatures;

/**
 * The sentiment model's input: counts of the text's hashed unigrams and bigrams
 * ({@link TextFeatures#hashedTokens}, the tokens the feature operator already computes), folded
 * into {@link #WIDTH} columns. An n-gram the text lacks is missing (NaN), not a zero count, in
 * training and in serving: the rows are then sparse, and XGBoost scores them as such (a sentence
 * sets a few dozen of the 4,096 columns).
 */
public final class SentimentFeatures {
    public static final String MODEL = "sentiment";
    public static final int WIDTH = 1 << 12;

    private SentimentFeatures() {}

    public static float[] row(int[] hashedTokens) {
        float[] row = new float[WIDTH];
        java.util.Arrays.fill(row, Float.NaN);
        for (int slot : hashedTokens) {
            int column = slot & (WIDTH - 1);
            row[column] = Float.isNaN(row[column]) ? 1 : row[column] + 1;
        }
        return row;
    }

    public static float[] row(String text) {
        return row(TextFeatures.hashedTokens(text));
    }

    public static java.util.List<String> featureNames() {
        return java.util.List.of("hashed_ngram_counts[" + WIDTH + "]");
    }
}
