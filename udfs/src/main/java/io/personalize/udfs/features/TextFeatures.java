package io.personalize.udfs.features;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * The text of a REVIEW or SEARCH event as model input: lower-cased word unigrams and bigrams,
 * hashed (MurmurHash3) into {@link #DIMENSIONS} slots. The stream and the text models' training use
 * this same function.
 */
public final class TextFeatures {
    public static final int DIMENSIONS = 1 << 18;
    public static final int MAX_TOKENS = 128;
    private static final Pattern NON_WORD = Pattern.compile("[^\\p{L}\\p{N}']+");

    private TextFeatures() {}

    /** Sorted slot ids of the text's unigrams and bigrams (a slot may repeat); empty for no text. */
    public static int[] hashedTokens(String text) {
        if (text == null || text.isBlank()) {
            return new int[0];
        }
        String[] words = Arrays.stream(NON_WORD.split(text.toLowerCase(Locale.ROOT)))
                .filter(w -> !w.isEmpty()).limit(MAX_TOKENS / 2).toArray(String[]::new);
        int[] slots = new int[Math.max(0, 2 * words.length - 1)];
        int n = 0;
        for (int i = 0; i < words.length; i++) {
            slots[n++] = slot(words[i]);
            if (i + 1 < words.length) {
                slots[n++] = slot(words[i] + ' ' + words[i + 1]);
            }
        }
        Arrays.sort(slots, 0, n);
        return Arrays.copyOf(slots, n);
    }

    private static int slot(String token) {
        byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash32x86(bytes, 0, bytes.length, 0) & (DIMENSIONS - 1);
    }
}
