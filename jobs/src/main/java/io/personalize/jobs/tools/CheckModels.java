package io.personalize.jobs.tools;

import io.personalize.jobs.JobSettings;
import io.personalize.jobs.PersonalizationJob;
import io.personalize.udfs.model.ModelRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Checks that the registry's current version of every scored model can serve this build: present,
 * checksum intact, trained on the features this build computes. A registry trained by an older
 * build fails here, instead of the job starting with that model unavailable.
 */
@Command(name = "models check", mixinStandardHelpOptions = true,
        description = "Check that the registry's current models were trained on the features this build computes.")
public final class CheckModels implements Callable<Integer> {
    /** Exit code when a model is missing or does not fit this build. */
    public static final int UNFIT = 3;

    @Option(names = "--models-dir", description = "Model registry. Default: ${DEFAULT-VALUE}")
    Path modelsDir = Path.of("models");

    public static void main(String[] args) {
        System.exit(new CommandLine(new CheckModels()).execute(args));
    }

    @Override
    public Integer call() {
        ModelRegistry registry = new ModelRegistry(modelsDir);
        Map<String, List<String>> models = new TreeMap<>(PersonalizationJob.swappableModels(
                JobSettings.fromMap(Map.of(JobSettings.MODELS_DIR.key(), modelsDir.toString()))));
        int unfit = 0;
        for (Map.Entry<String, List<String>> model : models.entrySet()) {
            try {
                var version = registry.current(model.getKey(), model.getValue());
                System.out.println("ok " + model.getKey() + " " + version.metadata().version);
            } catch (IOException e) {
                System.out.println("unfit " + model.getKey() + ": " + e.getMessage());
                unfit++;
            }
        }
        return unfit == 0 ? 0 : UNFIT;
    }
}
