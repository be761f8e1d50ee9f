package io.personalize.udfs.catalog;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurrentArtifactTest {
    @Test
    void registryWithoutTheArtifactFailsNamingThePathAndTheFix(@TempDir Path models) {
        assertThatThrownBy(() -> ApprovedCatalog.load(models))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("approved catalog unavailable")
                .hasMessageContaining(models.resolve("catalog").resolve("CURRENT").toString())
                .hasMessageContaining("scripts/train-models.sh");
        assertThatThrownBy(() -> SafetyScreen.load(models))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("safety screen unavailable")
                .hasMessageContaining(models.resolve("safety-screen").resolve("CURRENT").toString());
    }
}
