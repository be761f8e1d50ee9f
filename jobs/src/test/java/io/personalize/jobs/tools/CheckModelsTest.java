package io.personalize.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.JobSettings;
import io.personalize.jobs.PersonalizationJob;
import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.recommend.Recommender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CheckModelsTest {
    private static final Map<String, List<String>> FEATURES = PersonalizationJob.swappableModels(
            JobSettings.fromMap(Map.of(JobSettings.MODELS_DIR.key(), "models")));

    @Test
    void aRegistryTrainedByAnOlderBuildIsUnfitAndSaysWhichModelAndWhy(@TempDir Path dir) throws Exception {
        ModelRegistry registry = new ModelRegistry(dir.resolve("models"));
        for (var model : FEATURES.entrySet()) {
            publish(registry, dir, model.getKey(), "v1", model.getValue());
        }
        Run fit = check(dir);
        assertThat(fit.code).isZero();
        assertThat(fit.out.lines()).hasSize(FEATURES.size()).allMatch(line -> line.startsWith("ok ") && line.endsWith(" v1"));

        List<String> olderRankerFeatures = FEATURES.get(Recommender.RANKER_MODEL).subList(0, 10);
        publish(registry, dir, Recommender.RANKER_MODEL, "v0-older-build", olderRankerFeatures);
        Run unfit = check(dir);
        assertThat(unfit.code).isEqualTo(CheckModels.UNFIT);
        assertThat(unfit.out.lines().filter(line -> line.startsWith("unfit "))).singleElement().satisfies(line ->
                assertThat(line).startsWith("unfit recommend:").contains("v0-older-build")
                        .contains("not the ones this job computes"));
    }

    @Test
    void aMissingModelIsUnfit(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("models"));
        Run run = check(dir);
        assertThat(run.code).isEqualTo(CheckModels.UNFIT);
        assertThat(run.out.lines()).hasSize(FEATURES.size()).allMatch(line -> line.contains("no model"));
    }

    private static void publish(ModelRegistry registry, Path dir, String name, String version, List<String> features)
            throws Exception {
        ModelMetadata metadata = ModelMetadata.of(name, version, "XGBoost", "test");
        metadata.featureNames = features;
        Path versionDir = Files.createDirectories(registry.root().resolve(name).resolve(version));
        registry.publish(metadata, Files.writeString(versionDir.resolve(name + ".json"), "{}"));
    }

    private record Run(int code, String out) {}

    private static Run check(Path dir) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            int code = new CommandLine(new CheckModels()).execute("--models-dir", dir.resolve("models").toString());
            return new Run(code, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
        }
    }
}
