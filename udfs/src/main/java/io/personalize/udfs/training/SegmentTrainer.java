package io.personalize.udfs.training;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.UserFeatures;
import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.segment.CustomerSegments;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learns the RFM quintiles from every customer's features as of the cut (the serving code's
 * features), and measures the segments on the time after it: how many customers each holds and
 * how many of them order within the horizon.
 */
public final class SegmentTrainer {
    public record SegmentQuality(String segment, int customers, double orderRateAfterCut) {}

    public record Report(ModelRegistry.ModelVersion model, int customers, List<SegmentQuality> segments) {}

    public Report train(ModelRegistry registry, String version, String dataName, List<UserEvent> events, long cutMs,
            int horizonDays) throws Exception {
        List<UserEvent> before = events.stream().filter(e -> e.getEventTime() < cutMs).toList();
        Map<String, UserFeatures> users = OfflineFeatures.replay(before, (i, e, f, v) -> { });
        List<String> ids = new ArrayList<>(users.keySet());
        java.util.Collections.sort(ids);
        double[] recency = new double[ids.size()];
        double[] frequency = new double[ids.size()];
        double[] monetary = new double[ids.size()];
        List<float[]> vectors = new ArrayList<>();
        int hours = FeatureVector.NAMES.indexOf(CustomerSegments.FEATURES.get(0));
        int orders = FeatureVector.NAMES.indexOf(CustomerSegments.FEATURES.get(1));
        int spend = FeatureVector.NAMES.indexOf(CustomerSegments.FEATURES.get(2));
        for (int i = 0; i < ids.size(); i++) {
            float[] v = FeatureVector.of(users.get(ids.get(i)), cutMs);
            vectors.add(v);
            recency[i] = v[hours];
            frequency[i] = v[orders];
            monetary[i] = v[spend];
        }
        CustomerSegments segments = new CustomerSegments(CustomerSegments.quintiles(recency),
                CustomerSegments.quintiles(frequency), CustomerSegments.quintiles(monetary));

        long horizonEnd = cutMs + Duration.ofDays(horizonDays).toMillis();
        java.util.Set<String> orderedAfter = new java.util.HashSet<>();
        for (UserEvent e : events) {
            if (e.getEventTime() >= cutMs && e.getEventTime() < horizonEnd) {
                orderedAfter.add(e.getUserId());
            }
        }
        int[] customers = new int[CustomerSegments.NAMES.size()];
        int[] ordered = new int[customers.length];
        for (int i = 0; i < ids.size(); i++) {
            int s = segments.segmentOf(vectors.get(i));
            customers[s]++;
            if (orderedAfter.contains(ids.get(i))) {
                ordered[s]++;
            }
        }
        List<SegmentQuality> quality = new ArrayList<>();
        ModelMetadata metadata = ModelMetadata.of(CustomerSegments.MODEL, version, "table", dataName)
                .trainedBetween(events.get(0).getEventTime(), cutMs);
        metadata.featureNames = CustomerSegments.FEATURES;
        metadata.metrics = new LinkedHashMap<>();
        for (int s = 0; s < customers.length; s++) {
            double rate = customers[s] == 0 ? Double.NaN : (double) ordered[s] / customers[s];
            quality.add(new SegmentQuality(CustomerSegments.NAMES.get(s), customers[s], rate));
            metadata.metrics.put(CustomerSegments.NAMES.get(s) + "_customers", (double) customers[s]);
            metadata.metrics.put(CustomerSegments.NAMES.get(s) + "_order_rate_" + horizonDays + "d_after_cut", rate);
        }
        metadata.params = Map.of("method", "RFM quintiles of the customers as of the cut",
                "horizon_days", Integer.toString(horizonDays));
        Path file = registry.versionDir(CustomerSegments.MODEL, version).resolve("segments.json");
        ModelRegistry.json().writeValue(file.toFile(), segments);
        ModelRegistry.ModelVersion published = registry.publish(metadata, file);
        return new Report(published, ids.size(), quality);
    }
}
