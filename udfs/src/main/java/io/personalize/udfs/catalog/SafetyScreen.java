package io.personalize.udfs.catalog;

import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.model.ModelRejectedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Screens text before it is shown (item descriptions, message templates) against a list of blocked
 * terms and phrases. Matching is by whole words, case and accents ignored and punctuation read as a
 * word break: "SKULL!" matches skull and "Kill-Yourself" the phrase kill yourself, while a term
 * inside a longer word ("Scunthorpe", "Essex") does not match.
 */
public final class SafetyScreen implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String MODEL_NAME = "safety-screen";
    /** The term list the project ships; a deployment may publish its own instead. */
    public static final String SHIPPED_TERMS = "/safety/blocked-terms.txt";
    static final String FILE = "blocked-terms.txt";

    private static final Pattern ACCENTS = Pattern.compile("\\p{M}+");
    private static final Pattern WORD_BREAKS = Pattern.compile("[^\\p{L}\\p{N}]+");
    private static final Verdict SAFE = new Verdict(true, null);

    /** Whether the text may be shown, and if not the blocked term it contains. */
    public record Verdict(boolean safe, String matched) {}

    private final String version;
    /** Each term's words, with a space before and after so that a plain search finds whole words only. */
    private final String[] paddedTerms;

    /** A screen for the terms; throws IllegalArgumentException when there are none or one has no word in it. */
    public SafetyScreen(String version, List<String> terms) {
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("no terms: a screen without terms would pass everything");
        }
        this.version = version;
        this.paddedTerms = terms.stream().map(term -> {
            String words = words(term);
            if (words.isEmpty()) {
                throw new IllegalArgumentException("term '" + term + "' has no letters or digits");
            }
            return " " + words + " ";
        }).toArray(String[]::new);
    }

    /** The current version in the registry; an IOException naming the path and the fix when it is missing or corrupt. */
    public static SafetyScreen load(Path modelsDir) throws IOException {
        return CurrentArtifact.load(modelsDir, MODEL_NAME, "safety screen", current -> {
            try {
                return new SafetyScreen(current.version(),
                        terms(Files.readAllLines(current.file(), StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException e) {
                throw new ModelRejectedException(current.file() + ": " + e.getMessage());
            }
        });
    }

    /**
     * Publishes the lines of a term list (one term or phrase a line, # comments) as a new version
     * of {@value #MODEL_NAME} and makes it current; the list is checked before anything is written.
     */
    public static SafetyScreen publish(ModelRegistry registry, String version, List<String> lines, String source)
            throws IOException {
        SafetyScreen screen = new SafetyScreen(version, terms(lines));
        Path file = registry.versionDir(MODEL_NAME, version).resolve(FILE);
        Files.write(file, lines, StandardCharsets.UTF_8);
        ModelMetadata metadata = ModelMetadata.of(MODEL_NAME, version, "table", source);
        metadata.metrics = Map.of("terms", (double) screen.size());
        registry.publish(metadata, file);
        return screen;
    }

    /** The lines of {@link #SHIPPED_TERMS}. */
    public static List<String> shippedTerms() throws IOException {
        try (InputStream in = SafetyScreen.class.getResourceAsStream(SHIPPED_TERMS)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** The terms of a term list: blank lines and # comments skipped. */
    static List<String> terms(List<String> lines) {
        return lines.stream().map(line -> line.replaceFirst("#.*", "").strip()).filter(term -> !term.isEmpty()).toList();
    }

    /** Lower-case words without accents, separated by single spaces. */
    static String words(String text) {
        String unaccented = ACCENTS.matcher(Normalizer.normalize(text, Normalizer.Form.NFKD)).replaceAll("");
        return WORD_BREAKS.matcher(unaccented.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
    }

    public String version() {
        return version;
    }

    public int size() {
        return paddedTerms.length;
    }

    public Verdict screen(String text) {
        String padded = " " + words(text) + " ";
        for (String term : paddedTerms) {
            if (padded.contains(term)) {
                return new Verdict(false, term.strip());
            }
        }
        return SAFE;
    }
}
