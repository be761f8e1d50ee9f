package io.personalize.udfs.recommend;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.features.FeatureUpdater;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCandidatesTest {
    private static FeaturizedEvent purchase(UserFeatures features, String user, String item, long time) {
        UserEvent e = UserEvent.newBuilder().setEventId(user + item + time).setUserId(user)
                .setEventType(EventType.PURCHASE).setEventTime(time).setItemId(item).setPrice(1.0).setQuantity(1)
                .setSessionId(user + time).build();
        FeatureUpdater.apply(features, e);
        return FeaturizedEvent.of(e, features);
    }

    @Test
    void itemsBoughtTogetherInTheStreamBecomeCandidatesForOtherUsers(@TempDir Path noRegistry) throws Exception {
        try (var harness = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                new GenerateCandidates(noRegistry.toString()), GenerateCandidates.STREAM_COUNTS,
                GenerateCandidates.TOP_ITEMS)) {
            // another user buys bread, then butter and jam: counted through the broadcast input
            UserFeatures other = new UserFeatures();
            for (String item : List.of("bread", "butter", "jam")) {
                harness.processBroadcastElement(ItemCooccurrence.updateFor(purchase(other, "other", item, 1_000)), 1_000);
            }
            FeaturizedEvent mine = purchase(new UserFeatures(), "me", "bread", 2_000);
            harness.processElement(mine, 2_000);

            CandidateRequest request = harness.extractOutputValues().get(0);
            assertThat(request.about.eventId).isEqualTo(mine.event.getEventId());
            assertThat(request.ownItems).isEqualTo(1);
            assertThat(request.items[0]).isEqualTo("bread");
            List<String> items = Arrays.asList(request.items);
            assertThat(items).contains("butter", "jam");
            int butter = items.indexOf("butter");
            assertThat(RecommendationCandidates.isCooccurring(request.rows[butter])).isTrue();
            assertThat(request.rows[butter][4]).as("P(butter | bread)").isEqualTo(1f);
            assertThat(Arrays.stream(request.rows).allMatch(r -> r.length == RecommendationCandidates.WIDTH)).isTrue();
        }
    }
}
