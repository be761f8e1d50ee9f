package io.personalize.udfs.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.personalize.udfs.TrainedModels;
import io.personalize.udfs.model.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApprovedCatalogTest {
    private static CatalogBuilder.Result twoMugs() {
        return new CatalogBuilder().add("10001", "RED MUG", 1.25).add("10002", "BLUE MUG", 1.25)
                .add("POST", "POSTAGE", 18).build();
    }

    @Test
    void publishedCatalogLoadsAsTheCurrentVersion(@TempDir Path models) throws Exception {
        ModelRegistry registry = new ModelRegistry(models);
        CatalogBuilder.publish(registry, "v1", "test", twoMugs());

        ApprovedCatalog catalog = ApprovedCatalog.load(models);

        assertThat(catalog.version()).isEqualTo("v1");
        assertThat(catalog.size()).isEqualTo(2);
        assertThat(catalog.approved("10001")).isTrue();
        assertThat(catalog.description("10002")).isEqualTo("BLUE MUG");
        assertThat(catalog.approved("POST")).isFalse();
        assertThat(catalog.description("POST")).isNull();
        assertThat(registry.current(ApprovedCatalog.MODEL_NAME, null).metadata().metrics)
                .containsEntry("items", 2.0).containsEntry("excluded_not_a_product_code", 1.0);
        assertThat(InstantiationUtil.clone(catalog).description("10001")).isEqualTo("RED MUG");
    }

    @Test
    void trainedRegistryHoldsTheOnlineRetailCatalog() throws Exception {
        ApprovedCatalog catalog = ApprovedCatalog.load(TrainedModels.registry());

        assertThat(catalog.version()).isEqualTo(TrainedModels.VERSION);
        assertThat(catalog.size()).isEqualTo(TrainedModels.catalog().descriptions().size());
        assertThat(catalog.description("85123A")).isEqualTo("WHITE HANGING HEART T-LIGHT HOLDER");
    }

    @Test
    void alteredCatalogFileFailsNamingTheFile(@TempDir Path models) throws Exception {
        CatalogBuilder.publish(new ModelRegistry(models), "v1", "test", twoMugs());
        Path file = models.resolve("catalog/v1/" + ApprovedCatalog.FILE);
        Files.writeString(file, "[{\"itemId\": \"10001\", \"description\": \"ANYTHING\"}]");

        assertThatThrownBy(() -> ApprovedCatalog.load(models))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("checksum")
                .hasMessageContaining("scripts/train-models.sh");
    }
}
