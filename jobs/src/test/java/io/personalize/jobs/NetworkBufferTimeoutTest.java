package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/** Which network outputs flush on a timer (--buffer-timeout) and which send each record at once. */
class NetworkBufferTimeoutTest {
    private static final List<String> RARE = List.of("user-commands", "model-commands", "decision-commands",
            "user-command-decision-inputs", "analyze-experiments", "learn-bandit");
    private static final List<String> EVENT_PATH = List.of("events-source", "user-features", "deploy-models",
            "recommend-candidates", "join-model-results", "decide-and-assign");

    @Test
    void rareOutputsAreSentAtOnceAndTheEventPathKeepsTheConfiguredTimeout() {
        JobSettings settings = JobSettings.fromArgs(new String[] {"--models-dir", "/models", "--buffer-timeout", "7 ms"});
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                PersonalizationJob.environmentConfig(settings));
        PersonalizationJob.defineWorkflow(env, PersonalizationJob.sources(settings),
                PersonalizationJob.kafkaSinks(settings), settings);
        StreamGraph graph = env.getStreamGraph();

        Map<String, StreamNode> byUid = new HashMap<>();
        for (StreamNode node : graph.getStreamNodes()) {
            if (node.getTransformationUID() != null) {
                byUid.put(node.getTransformationUID(), node);
            }
        }
        assertThat(byUid).containsKeys(RARE.toArray(String[]::new)).containsKeys(EVENT_PATH.toArray(String[]::new));
        for (String uid : RARE) {
            assertThat(byUid.get(uid).getOutEdges()).as(uid).isNotEmpty()
                    .allSatisfy(edge -> assertThat(edge.getBufferTimeout()).as(uid + " -> " + edge).isZero());
        }
        for (String uid : EVENT_PATH) {
            List<StreamEdge> edges = byUid.get(uid).getOutEdges();
            assertThat(edges).as(uid).isNotEmpty()
                    .allSatisfy(edge -> assertThat(edge.getBufferTimeout()).as(uid + " -> " + edge).isEqualTo(7L));
        }
    }
}
