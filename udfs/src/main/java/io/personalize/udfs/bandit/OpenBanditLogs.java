package io.personalize.udfs.bandit;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * One campaign of the Open Bandit Dataset (ZOZOTOWN; {@code <policy>/<campaign>/<campaign>.csv}
 * beside {@code item_context.csv}) as logged rounds, read the way OBP reads it: the action is the
 * item, the position (1-3, as logged) is the slot it was shown in, the reward is the click, and the
 * propensity is the row's {@code propensity_score}, the logging policy's probability of that item in
 * that slot. The context is the row's user-item affinities, one per item, as logged (mostly 0); the
 * hashed categorical {@code user_feature_*} columns are left out.
 */
public final class OpenBanditLogs {
    private static final String AFFINITY = "user-item_affinity_";
    private static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder()
            .setHeader().setSkipHeaderRecord(true).setAllowMissingColumnNames(true).build();

    /** The rounds of a campaign and the number of its items (actions 0 .. items-1). */
    public record Campaign(String name, int items, List<LoggedRound> rounds) {}

    private OpenBanditLogs() {}

    public static Path defaultDir() {
        String shared = System.getProperty("shared.dir", System.getenv().getOrDefault("SHARED_DIR", "../shared"));
        return Path.of(shared, "data", "open-bandit");
    }

    /** The campaign in {@code dir}, e.g. {@code open-bandit/bts/men}. */
    public static Campaign load(Path dir) throws IOException {
        String name = dir.getFileName().toString();
        int items = items(dir.resolve("item_context.csv"));
        return new Campaign(name, items, rounds(dir.resolve(name + ".csv"), items));
    }

    /** The rows of {@code item_context.csv}, one per item. */
    public static int items(Path itemContext) throws IOException {
        try (Reader reader = Files.newBufferedReader(itemContext, StandardCharsets.UTF_8);
                CSVParser parser = FORMAT.parse(reader)) {
            return parser.getRecords().size();
        }
    }

    /** @throws IllegalArgumentException naming the file and line of the first row that is not a valid round */
    public static List<LoggedRound> rounds(Path csv, int items) throws IOException {
        List<LoggedRound> rounds = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
                CSVParser parser = FORMAT.parse(reader)) {
            List<String> affinities = parser.getHeaderNames().stream().filter(h -> h.startsWith(AFFINITY)).toList();
            for (CSVRecord row : parser) {
                try {
                    rounds.add(round(row, affinities, items));
                } catch (IllegalArgumentException | IllegalStateException e) {
                    // the header is line 1 and no field spans lines
                    throw new IllegalArgumentException(csv + " line " + (row.getRecordNumber() + 1) + ": "
                            + e.getMessage(), e);
                }
            }
        }
        return rounds;
    }

    private static LoggedRound round(CSVRecord row, List<String> affinities, int items) {
        if (!row.isConsistent()) {
            throw new IllegalArgumentException(row.size() + " fields, the header has " + row.getParser()
                    .getHeaderNames().size());
        }
        int item = Integer.parseInt(row.get("item_id"));
        if (item >= items) {
            throw new IllegalArgumentException("item_id " + item + " but item_context.csv lists " + items + " items");
        }
        int position = Integer.parseInt(row.get("position"));
        if (position < 1) {
            throw new IllegalArgumentException("position must be >= 1, got " + position);
        }
        int click = Integer.parseInt(row.get("click"));
        if (click != 0 && click != 1) {
            throw new IllegalArgumentException("click must be 0 or 1, got " + click);
        }
        double[] context = new double[affinities.size()];
        for (int i = 0; i < context.length; i++) {
            context[i] = Double.parseDouble(row.get(affinities.get(i)));
        }
        return new LoggedRound(context, item, position, click, Double.parseDouble(row.get("propensity_score")));
    }
}
