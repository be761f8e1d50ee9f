package io.personalize.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The browser check on a running job's web UI: it passes on a drawn graph and fails on a missing operator. */
class JobGraphScreenshotTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    /** Chromium on the PATH (the Debian package), as scripts/screenshot.sh finds it. */
    private static String chromium() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "chromium"))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .findFirst().orElse(null);
    }

    @Test
    void screenshotsTheDrawnGraphAndFailsWhenAnOperatorIsNotOnIt(@InjectClusterClient ClusterClient<?> cluster,
            @TempDir Path temp) throws Exception {
        String chromium = chromium();
        assumeTrue(chromium != null, "no chromium on the PATH (apt-get install chromium)");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.fromSequence(0, Long.MAX_VALUE).name("numbers")
                .map((MapFunction<Long, Long>) v -> {
                    Thread.sleep(1);
                    return v * v;
                }).name("square")
                .keyBy(v -> v % 4).map(v -> v + 1).name("keyed-increment")
                .sinkTo(new DiscardingSink<>()).name("discard");
        JobClient job = env.executeAsync("screenshot-it");
        try {
            while (job.getJobStatus().get() != JobStatus.RUNNING) {
                Thread.sleep(200);
            }
            String rest = cluster.getWebInterfaceURL();
            Path png = temp.resolve("graph.png");
            String[] args = {"--rest", rest, "--job-id", job.getJobID().toString(), "--out", png.toString(),
                    "--chromium", chromium, "--width", "1200", "--graph-height", "600", "--min-kb", "20",
                    "--operators", "numbers,square,keyed-increment"};
            assertThat(new CommandLine(new JobGraphScreenshot()).execute(args)).isZero();
            assertThat(Files.size(png)).isGreaterThan(20 * 1024);

            args[args.length - 1] = "square,no-such-operator";
            assertThat(new CommandLine(new JobGraphScreenshot()).execute(args)).as("an operator not drawn").isOne();
        } finally {
            job.cancel().get();
        }
    }
}
