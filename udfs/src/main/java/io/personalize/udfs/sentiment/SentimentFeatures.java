package io.personalize.udfs.sentiment;

import io.personalize.udfs.features.TextFeatures;

/**
 * The sentiment model's input: counts of the text's hashed unigrams and bigrams
 * ({@link TextFeatures#hashedTokens}, the tokens the feature operator already computes), folded
 * into {@link #WIDTH} columns so a batch stays small.
 */
public final class SentimentFeatures {
    public static final String MODEL = "sentiment";
    public static final int WIDTH = 1 << 12;

    private SentimentFeatures() {}

    public static float[] row(int[] hashedTokens) {
        float[] row = new float[WIDTH];
        for (int slot : hashedTokens) {
            row[slot & (WIDTH - 1)]++;
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
