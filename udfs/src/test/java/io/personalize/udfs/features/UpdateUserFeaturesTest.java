package io.personalize.udfs.features;

import static io.personalize.udfs.TestEvents.DAY;
import static io.personalize.udfs.TestEvents.T0;
import static io.personalize.udfs.TestEvents.purchase;
import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.UserEvent;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

class UpdateUserFeaturesTest {
    private static KeyedOneInputStreamOperatorTestHarness<String, UserEvent, FeaturizedEvent> harness(Duration ttl)
            throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, UserEvent, FeaturizedEvent> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new UpdateUserFeatures(ttl)),
                        UserEvent::getUserId, Types.STRING);
        harness.open();
        return harness;
    }

    @Test
    void keepsFeaturesPerUserAndEmitsThemWithEachEvent() throws Exception {
        try (var harness = harness(Duration.ZERO)) {
            harness.processElement(purchase("alice", "mug", T0, 3.0, 2, "o1"), T0);
            harness.processElement(purchase("bob", "lamp", T0, 10.0, 1, "o2"), T0);
            harness.processElement(purchase("alice", "plate", T0 + DAY, 1.0, 1, "o3"), T0 + DAY);

            List<FeaturizedEvent> out = harness.extractOutputValues();
            assertThat(out).hasSize(3);
            FeaturizedEvent aliceSecond = out.get(2);
            assertThat(aliceSecond.event.getUserId()).isEqualTo("alice");
            assertThat(aliceSecond.orders).isEqualTo(2);
            assertThat(aliceSecond.features[FeatureVector.NAMES.indexOf("total_spend")]).isEqualTo(7f);
            assertThat(aliceSecond.affinityItems).containsExactlyInAnyOrder("mug", "plate");
            assertThat(out.get(1).orders).isEqualTo(1);
            assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
            assertThat(harness.numEventTimeTimers()).isZero();
            assertThat(harness.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void idleUsersExpireAfterTheTtl() throws Exception {
        try (var harness = harness(Duration.ofHours(1))) {
            harness.setStateTtlProcessingTime(0);
            harness.processElement(purchase("alice", "mug", T0, 3.0, 2, "o1"), T0);
            harness.setStateTtlProcessingTime(Duration.ofHours(2).toMillis());
            harness.processElement(purchase("alice", "plate", T0 + DAY, 1.0, 1, "o2"), T0 + DAY);

            FeaturizedEvent afterExpiry = harness.extractOutputValues().get(1);
            assertThat(afterExpiry.orders).as("the expired state is not read back").isEqualTo(1);
            assertThat(afterExpiry.affinityItems).containsExactly("plate");
        }
    }

    @Test
    void stateAndMessageTypesAreFlinkPojos() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(UserFeatures.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(FeaturizedEvent.class);
    }
}
