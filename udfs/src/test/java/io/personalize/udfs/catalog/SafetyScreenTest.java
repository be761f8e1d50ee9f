package io.personalize.udfs.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.personalize.udfs.TrainedModels;
import io.personalize.udfs.model.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetyScreenTest {
    private static SafetyScreen shipped() throws IOException {
        return new SafetyScreen("shipped", SafetyScreen.terms(SafetyScreen.shippedTerms()));
    }

    @Test
    void blocksListedTermsAndPhrasesWhateverTheCaseAndPunctuation() throws Exception {
        SafetyScreen screen = shipped();

        assertThat(screen.screen("Free COCAINE!!")).isEqualTo(new SafetyScreen.Verdict(false, "cocaine"));
        assertThat(screen.screen("(heroin)").matched()).isEqualTo("heroin");
        assertThat(screen.screen("Porn.").matched()).isEqualTo("porn");
        assertThat(screen.screen("go kill-yourself").matched()).isEqualTo("kill yourself");
        assertThat(screen.screen("WHITE   POWER forever").matched()).isEqualTo("white power");
        assertThat(screen.screen("Ku Klux\tKlan").matched()).isEqualTo("ku klux klan");
        assertThat(screen.screen("café NAZÍ").matched()).isEqualTo("nazi");
    }

    @Test
    void passesInnocentWordsThatContainATerm() throws Exception {
        SafetyScreen screen = shipped();

        for (String innocent : List.of("Scunthorpe United scarf", "ESSEX county map", "Middlesex", "shitake mushrooms",
                "HEROINE action figure", "the work has begun", "Methodist chapel", "ASS COLOUR GLOWING TIARAS",
                "WHITE POWERFUL TORCH", "white", "power", "")) {
            assertThat(screen.screen(innocent)).as(innocent).isEqualTo(new SafetyScreen.Verdict(true, null));
        }
    }

    @Test
    void publishedTermListLoadsAsTheCurrentVersion(@TempDir Path models) throws Exception {
        SafetyScreen.publish(new ModelRegistry(models), "v1",
                List.of("# a deployment's own list", "", "rude word", "Gnome  # no garden gnomes here"), "test");

        SafetyScreen screen = SafetyScreen.load(models);

        assertThat(screen.version()).isEqualTo("v1");
        assertThat(screen.size()).isEqualTo(2);
        assertThat(screen.screen("A RUDE, WORD").matched()).isEqualTo("rude word");
        assertThat(screen.screen("GARDEN GNOME").matched()).isEqualTo("gnome");
        assertThat(screen.screen("cocaine").safe()).isTrue();
        assertThat(InstantiationUtil.clone(screen).screen("gnome").safe()).isFalse();
    }

    @Test
    void trainedRegistryHoldsTheShippedList() throws Exception {
        SafetyScreen screen = SafetyScreen.load(TrainedModels.registry());

        assertThat(screen.version()).isEqualTo(TrainedModels.VERSION);
        assertThat(screen.size()).isEqualTo(shipped().size());
    }

    @Test
    void shippedListFlagsFourCatalogDescriptions() throws Exception {
        SafetyScreen screen = shipped();

        // two drug references, one innuendo, and a false positive: Guns N' Roses, the band
        assertThat(TrainedModels.catalog().descriptions().values()).filteredOn(text -> !screen.screen(text).safe())
                .containsExactlyInAnyOrder("DOORMAT UNION JACK GUNS AND ROSES", "HOT WATER BOTTLE SEX BOMB",
                        "RASTA IN BATH W SPLIFF ASHTRAY", "CANNABIS LEAF BEAD CURTAIN");
    }

    @Test
    void termListWithoutTermsIsRefusedBeforeAnythingIsWritten(@TempDir Path models) {
        assertThatThrownBy(() -> SafetyScreen.publish(new ModelRegistry(models), "v1", List.of("# nothing", " "), "test"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no terms");
        assertThatThrownBy(() -> SafetyScreen.publish(new ModelRegistry(models), "v1", List.of("!!!"), "test"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'!!!'");
        assertThat(models).isEmptyDirectory();
    }

    @Test
    void emptiedTermFileFailsNamingTheFile(@TempDir Path models) throws Exception {
        ModelRegistry registry = new ModelRegistry(models);
        SafetyScreen.publish(registry, "v1", List.of("gnome"), "test");
        ModelRegistry.ModelVersion published = registry.current(SafetyScreen.MODEL_NAME, null);
        Files.writeString(published.file(), "# all gone\n");
        registry.writeVersion(published.metadata(), published.file()); // the checksum matches again
        Path file = published.file();

        assertThatThrownBy(() -> SafetyScreen.load(models))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("no terms");
    }
}
