package io.personalize.udfs.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.udfs.TrainedModels;
import io.personalize.udfs.catalog.CatalogBuilder.Exclusion;
import org.junit.jupiter.api.Test;

class CatalogBuilderTest {
    @Test
    void onlineRetailCatalogLeavesOutChargesFeesAdjustmentsAndVouchers() throws Exception {
        CatalogBuilder.Result catalog = TrainedModels.catalog();

        assertThat(catalog.excluded().get(Exclusion.NOT_A_PRODUCT_CODE)).containsExactlyInAnyOrder(
                "POST", "DOT", "C2", "M", "m", "D", "S", "B", "CRUK", "BANK CHARGES", "AMAZONFEE", "PADS",
                "gift_0001_10", "gift_0001_20", "gift_0001_30", "gift_0001_40", "gift_0001_50");
        assertThat(catalog.excluded().get(Exclusion.SERVICE)).containsExactlyInAnyOrder("23444", "23702");
        assertThat(catalog.excluded().get(Exclusion.NO_DESCRIPTION))
                .contains("21134", "72038P", "79323GR", "DCGS0067")
                .hasSize(132);
        assertThat(catalog.descriptions()).hasSize(3919)
                .doesNotContainKeys("POST", "M", "23444", "72038P");
    }

    @Test
    void onlineRetailProductsKeepTheirMostFrequentDescriptionOnLinesSoldAtAPrice() throws Exception {
        CatalogBuilder.Result catalog = TrainedModels.catalog();

        assertThat(catalog.descriptions())
                .containsEntry("85123A", "WHITE HANGING HEART T-LIGHT HOLDER") // 2,298 lines; CREAM ... on 9
                .containsEntry("85123a", "WHITE HANGING HEART T-LIGHT HOLDER")
                .containsEntry("22383", "LUNCH BAG SUKI DESIGN") // also written with two spaces
                .containsEntry("DCGSSBOY", "BOYS PARTY BAG")
                .containsEntry("DCGS0003", "BOXED GLASS ASHTRAY"); // not "ebay", a price-0 note
        assertThat(catalog.descriptions().values()).allSatisfy(description -> assertThat(description)
                .isNotBlank().isNotEqualTo("Unknown").doesNotContain("  ").matches(".*\\p{Lu}.*"));
    }

    @Test
    void notesOnPriceZeroLinesAreNoDescriptionAndTiesGoToTheFirstAlphabetically() {
        CatalogBuilder.Result catalog = new CatalogBuilder()
                .add("10001", "damaged", 0).add("10001", "damaged", 0).add("10001", "RED MUG", 1.25)
                .add("10002", "SILVER/BLACK NECKLACE", 2).add("10002", "SILVER AND BLACK NECKLACE", 2)
                .add("10003", "Unknown", 0.85).add("10003", "check", 0)
                .add(" 10004 ", "  BLUE   MUG ", 1)
                .build();

        assertThat(catalog.descriptions()).containsExactly(
                java.util.Map.entry("10001", "RED MUG"),
                java.util.Map.entry("10002", "SILVER AND BLACK NECKLACE"),
                java.util.Map.entry("10004", "BLUE MUG"));
        assertThat(catalog.excluded().get(Exclusion.NO_DESCRIPTION)).containsExactly("10003");
    }
}
