package io.personalize.jobs.tools;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a consumer saw against what it should have: {@code expected} decision ids (one per valid
 * input event), {@code seen} decision records read, {@code lost} expected ids never read,
 * {@code duplicated} records read beyond the first of their id, and {@code unexpected} ids that no
 * input event explains. Exactly once means none lost, none duplicated, none unexpected.
 */
public record DeliveryReport(int expected, long seen, int lost, long duplicated, int unexpected,
        List<String> lostIds, List<String> duplicatedIds) {

    /** Compares the decision ids read (with how often each was read) with the expected ones. */
    public static DeliveryReport of(Collection<String> expectedDecisionIds, Map<String, Integer> seenCounts) {
        Set<String> expected = new HashSet<>(expectedDecisionIds);
        long seen = seenCounts.values().stream().mapToLong(Integer::longValue).sum();
        List<String> lost = expected.stream().filter(id -> !seenCounts.containsKey(id)).sorted().toList();
        List<String> duplicated = seenCounts.entrySet().stream().filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey).sorted().toList();
        long extra = seenCounts.values().stream().mapToLong(n -> n - 1L).sum();
        int unexpected = (int) seenCounts.keySet().stream().filter(id -> !expected.contains(id)).count();
        return new DeliveryReport(expected.size(), seen, lost.size(), extra, unexpected, lost, duplicated);
    }

    public boolean exactlyOnce() {
        return lost == 0 && duplicated == 0 && unexpected == 0;
    }

    /** A short account for logs: the counts and the first few ids of each problem. */
    public String describe() {
        return String.format(Locale.ROOT, "expected %d, seen %d, lost %d%s, duplicated %d%s, unexpected %d", expected,
                seen, lost, sample(lostIds), duplicated, sample(duplicatedIds), unexpected);
    }

    private static String sample(List<String> ids) {
        return ids.isEmpty() ? "" : " " + ids.subList(0, Math.min(5, ids.size())) + (ids.size() > 5 ? "..." : "");
    }
}
