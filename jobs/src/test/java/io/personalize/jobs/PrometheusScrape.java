package io.personalize.jobs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The series of one scrape of a Prometheus text endpoint (format 0.0.4), as Flink's reporter writes it. */
final class PrometheusScrape {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    record Series(String name, Map<String, String> labels, double value) {}

    private final List<Series> series = new ArrayList<>();

    PrometheusScrape(String text) {
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("not a Prometheus sample line: " + line);
            }
            Map<String, String> labels = new HashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            series.add(new Series(m.group(1), labels, Double.parseDouble(m.group(3))));
        }
    }

    List<Series> series(String name) {
        return series.stream().filter(s -> s.name().equals(name)).toList();
    }

    Set<String> names() {
        Set<String> names = new TreeSet<>();
        series.forEach(s -> names.add(s.name()));
        return names;
    }

    /** Sum over every series of the metric. */
    double sum(String name) {
        return series(name).stream().mapToDouble(Series::value).sum();
    }

    /** The values the label takes on the metric's series. */
    Set<String> labelValues(String name, String label) {
        Set<String> values = new TreeSet<>();
        series(name).forEach(s -> {
            if (s.labels().containsKey(label)) {
                values.add(s.labels().get(label));
            }
        });
        return values;
    }
}
