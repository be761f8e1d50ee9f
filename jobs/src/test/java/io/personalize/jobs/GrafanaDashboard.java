package io.personalize.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The PromQL queries of a Grafana dashboard JSON and what they need from the scraped series. */
final class GrafanaDashboard {
    static final Path PERSONALIZE = Path.of("..", "docker", "grafana", "dashboards", "personalize.json");

    private static final Pattern METRIC = Pattern.compile("\\bflink_[a-zA-Z0-9_]+");
    private static final Pattern SELECTOR = Pattern.compile("(flink_[a-zA-Z0-9_]+)\\{([^}]*)}");
    private static final Pattern EQUALS = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern BY = Pattern.compile("\\bby\\s*\\(([^)]*)\\)");
    private static final Pattern LEGEND = Pattern.compile("\\{\\{\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*}}");

    /** One target of a panel: its PromQL and its legend format. */
    record Query(String panel, String expr, String legend) {
        Set<String> metrics() {
            return matches(METRIC, expr, 0);
        }

        /** Label matchers {@code label="value"} by metric, as "metric label value". */
        List<String[]> equalityMatchers() {
            List<String[]> out = new ArrayList<>();
            Matcher s = SELECTOR.matcher(expr);
            while (s.find()) {
                Matcher e = EQUALS.matcher(s.group(2));
                while (e.find()) {
                    out.add(new String[] {s.group(1), e.group(1), e.group(2)});
                }
            }
            return out;
        }

        /** Labels the query groups by or its legend prints: every metric of the query must carry them. */
        Set<String> labelsUsed() {
            Set<String> labels = new TreeSet<>();
            Matcher by = BY.matcher(expr);
            while (by.find()) {
                for (String label : by.group(1).split(",")) {
                    labels.add(label.strip());
                }
            }
            labels.addAll(matches(LEGEND, legend == null ? "" : legend, 1));
            return labels;
        }
    }

    final JsonNode json;
    final List<Query> queries = new ArrayList<>();

    GrafanaDashboard(Path file) throws IOException {
        json = new ObjectMapper().readTree(file.toFile());
        collect(json.path("panels"));
    }

    private void collect(JsonNode panels) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new Query(panel.path("title").asText(), target.path("expr").asText(),
                        target.path("legendFormat").asText(null)));
            }
            collect(panel.path("panels")); // panels inside collapsed rows
        }
    }

    Set<String> metrics() {
        Set<String> metrics = new TreeSet<>();
        queries.forEach(q -> metrics.addAll(q.metrics()));
        return metrics;
    }

    private static Set<String> matches(Pattern pattern, String text, int group) {
        Set<String> found = new TreeSet<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(m.group(group));
        }
        return found;
    }
}
