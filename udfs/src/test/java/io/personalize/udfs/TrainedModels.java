package io.personalize.udfs;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.catalog.CatalogBuilder;
import io.personalize.udfs.catalog.SafetyScreen;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** Real models, trained once per test JVM from ../shared/data by the project's own trainer. */
public final class TrainedModels {
    public static final String VERSION = "test-1";
    public static final String VERSION_2 = "test-2";
    public static final long CUT = Instant.parse("2011-09-01T00:00:00Z").toEpochMilli();

    private static Path registry;
    private static List<UserEvent> events;
    private static CatalogBuilder.Result catalog;
    private static DefaultModelTrainer.BehaviourReport report;

    private TrainedModels() {}

    public static synchronized List<UserEvent> onlineRetail() throws Exception {
        if (events == null) {
            events = OnlineRetailEvents.load(onlineRetailFile()).events();
        }
        return events;
    }

    public static Path onlineRetailFile() {
        return TestEvents.sharedDir().resolve("data/online-retail/online_retail.csv.gz");
    }

    /** The approved catalog built from the whole Online Retail file, as training builds it. */
    public static synchronized CatalogBuilder.Result catalog() throws Exception {
        if (catalog == null) {
            catalog = CatalogBuilder.read(onlineRetailFile()).build();
        }
        return catalog;
    }

    public static synchronized Path registry() throws Exception {
        if (registry == null) {
            Path dir = Files.createTempDirectory("models");
            DefaultModelTrainer trainer = new DefaultModelTrainer("online_retail.csv.gz", 30, 60, 100);
            report = trainer.trainPropensity(new ModelRegistry(dir), VERSION, onlineRetail(), CUT);
            trainer.publishPopularity(new ModelRegistry(dir), VERSION, onlineRetail(), CUT);
            CatalogBuilder.publish(new ModelRegistry(dir), VERSION, "online_retail.csv.gz", catalog());
            SafetyScreen.publish(new ModelRegistry(dir), VERSION, SafetyScreen.shippedTerms(), SafetyScreen.SHIPPED_TERMS);
            registry = dir;
        }
        return registry;
    }

    private static Path secondVersion;

    /**
     * The folder of a second propensity version ({@link #VERSION_2}, a 14-day horizon), trained into
     * a registry of its own: a version to hot-swap to, not current anywhere.
     */
    public static synchronized Path secondPropensityVersion() throws Exception {
        if (secondVersion == null) {
            Path dir = Files.createTempDirectory("models-v2");
            new DefaultModelTrainer("online_retail.csv.gz", 14, 40, 100)
                    .trainPropensity(new ModelRegistry(dir), VERSION_2, onlineRetail(), CUT);
            secondVersion = dir.resolve("propensity").resolve(VERSION_2);
        }
        return secondVersion;
    }

    public static synchronized DefaultModelTrainer.BehaviourReport report() throws Exception {
        registry();
        return report;
    }
}
