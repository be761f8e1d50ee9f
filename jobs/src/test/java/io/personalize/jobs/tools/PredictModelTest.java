package io.personalize.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.training.SentimentTrainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PredictModelTest {
    @Test
    void scoresOneSentencePerLineWithTheCurrentSentimentModel(@TempDir Path dir) throws Exception {
        var report = new SentimentTrainer(60).train(new ModelRegistry(dir.resolve("models")), "t-1",
                SentimentTrainer.defaultFolder());
        assertThat(report.accuracy()).isGreaterThan(0.7);
        Path sentences = Files.writeString(dir.resolve("in.txt"), String.join("\n",
                "I love this phone, it is great.", "Terrible, it broke after a day.", "Excellent food and friendly staff!",
                "Worst movie ever, a waste of time.") + "\n");

        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = new CommandLine(new PredictModel()).execute("--model", "sentiment", "--input", sentences.toString(),
                    "--models-dir", dir.resolve("models").toString());
        } finally {
            System.setOut(stdout);
        }
        assertThat(code).isZero();
        List<Double> scores = captured.toString(StandardCharsets.UTF_8).lines().map(Double::parseDouble).toList();
        assertThat(scores).hasSize(4).allSatisfy(p -> assertThat(p).isBetween(0.0, 1.0));
        assertThat(scores.get(0)).isGreaterThan(scores.get(1));
        assertThat(scores.get(2)).isGreaterThan(scores.get(3));
    }

    @Test
    void anUnknownModelIsAClearError(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("in.txt"), "x\n");
        assertThat(new CommandLine(new PredictModel()).execute("--model", "nope", "--input", input.toString(),
                "--models-dir", dir.toString())).isEqualTo(2);
    }
}
