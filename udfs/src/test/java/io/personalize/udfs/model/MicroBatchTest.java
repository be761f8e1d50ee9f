package io.personalize.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class MicroBatchTest {
    private static OneInputStreamOperatorTestHarness<String, String[]> harness() throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<>(new MicroBatch<>(String.class, 3, 10),
                Types.STRING.createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    private static List<List<String>> batches(OneInputStreamOperatorTestHarness<String, String[]> h) {
        return h.extractOutputValues().stream().map(Arrays::asList).toList();
    }

    @Test
    void aFullBatchGoesAtOnceAndAPartOneAfterTheDelay() throws Exception {
        try (var h = harness()) {
            h.setProcessingTime(0);
            for (String s : List.of("a", "b", "c", "d")) {
                h.processElement(s, 0);
            }
            assertThat(batches(h)).containsExactly(List.of("a", "b", "c"));
            h.setProcessingTime(9);
            assertThat(batches(h)).hasSize(1);
            h.setProcessingTime(10);
            assertThat(batches(h)).containsExactly(List.of("a", "b", "c"), List.of("d"));
        }
    }

    @Test
    void nothingIsHeldAcrossACheckpointAWatermarkOrTheEndOfInput() throws Exception {
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.processElement("a", 0);
            h.prepareSnapshotPreBarrier(1);
            assertThat(batches(h)).containsExactly(List.of("a"));
            h.processElement("b", 0);
            h.processWatermark(new Watermark(5));
            // the batch goes out before the watermark does
            assertThat(h.getOutput()).hasSize(3);
            assertThat(h.getOutput().toArray()[2]).isEqualTo(new Watermark(5));
            h.processElement("c", 0);
            h.endInput();
            assertThat(batches(h)).containsExactly(List.of("a"), List.of("b"), List.of("c"));
            // the timers of batches that already went out do nothing
            h.setProcessingTime(100);
            assertThat(batches(h)).hasSize(3);
        }
    }
}
