package io.personalize.jobs.training;

import io.personalize.schema.UserEvent;
import io.personalize.udfs.catalog.ApprovedCatalog;
import io.personalize.udfs.catalog.CatalogBuilder;
import io.personalize.udfs.catalog.SafetyScreen;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import io.personalize.udfs.training.RecommenderTrainer;
import io.personalize.udfs.training.SegmentTrainer;
import io.personalize.udfs.training.SentimentTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Trains the default models from UCI Online Retail and publishes them to the model registry:
 * purchase propensity (XGBoost, served through DJL) and the popularity ranking. Everything before
 * the cut date trains; the time after it measures. Beside the models it publishes the approved
 * catalog and the safety screen's term list.
 */
@Command(name = "train-models", mixinStandardHelpOptions = true,
        description = "Train the default models from ../shared/data and publish them to a model registry folder.")
public final class TrainModels implements Callable<Integer> {
    @Option(names = "--models-dir", required = true, description = "Model registry folder to publish into.")
    Path modelsDir;

    @Option(names = "--data", description = "Online Retail CSV (gzip). Default: ../shared/data/online-retail/online_retail.csv.gz")
    Path data = OnlineRetailEvents.defaultFile();

    @Option(names = "--cut", description = "First day of the held-out period (UTC). Default: ${DEFAULT-VALUE}")
    String cut = "2011-09-01";

    @Option(names = "--horizon-days", description = "Propensity label: orders again within this many days. Default: ${DEFAULT-VALUE}")
    int horizonDays = 30;

    @Option(names = "--rounds", description = "Boosting rounds. Default: ${DEFAULT-VALUE}")
    int rounds = 150;

    @Option(names = "--popular-items", description = "Length of the popularity ranking. Default: ${DEFAULT-VALUE}")
    int popularItems = 200;

    @Option(names = "--recommend-rounds", description = "Boosting rounds of the recommendation ranker. Default: ${DEFAULT-VALUE}")
    int recommendRounds = 100;

    @Option(names = "--churn-horizon-days", description = "Churn label: no order within this many days. Default: ${DEFAULT-VALUE}")
    int churnHorizonDays = 90;

    @Option(names = "--sentiment-data", description = "Folder of *_labelled.txt sentiment files. Default: ../shared/data/sentiment")
    Path sentimentData = SentimentTrainer.defaultFolder();

    @Option(names = "--sentiment-rounds", description = "Boosting rounds of the sentiment model. Default: ${DEFAULT-VALUE}")
    int sentimentRounds = 300;

    @Option(names = "--blocked-terms", description = "Safety screen term list, one term or phrase a line, # comments. "
            + "Default: the list shipped with the project (udfs/src/main/resources/safety/blocked-terms.txt)")
    Path blockedTerms;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainModels()).execute(args));
    }

    private void printBehaviour(DefaultModelTrainer.BehaviourReport r, String label) {
        System.out.printf("%s %s: %,d train / %,d test examples (orders after %s, label: %s within %d days, "
                        + "positive rate %.3f); held-out AUC %.4f (baseline, decayed order count: %.4f); "
                        + "DJL serving matches training (max |diff| %.1e)%n",
                r.model().name(), r.model().version(), r.trainExamples(), r.testExamples(), cut, label, r.horizonDays(),
                r.positiveRate(), r.auc(), r.baselineAuc(), r.maxServingDifference());
    }

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        OnlineRetailEvents.Loaded loaded = OnlineRetailEvents.load(data);
        List<UserEvent> events = loaded.events();
        long cutMs = Instant.parse(cut + "T00:00:00Z").toEpochMilli();
        System.out.printf("Loaded %,d purchase events from %s (%,d lines; skipped %,d without customer, %,d cancellations/returns)%n",
                events.size(), data, loaded.lines(), loaded.withoutCustomer(), loaded.cancellationsOrReturns());

        String version = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        ModelRegistry registry = new ModelRegistry(modelsDir);
        DefaultModelTrainer trainer = new DefaultModelTrainer(data.getFileName().toString(), horizonDays, rounds, popularItems);
        printBehaviour(trainer.trainPropensity(registry, version, events, cutMs), "orders again");
        printBehaviour(trainer.trainChurn(registry, version, events, cutMs, churnHorizonDays), "no order");
        SentimentTrainer.Report sentiment = new SentimentTrainer(sentimentRounds).train(registry, version, sentimentData);
        System.out.printf("sentiment %s: %,d train / %,d held-out sentences (last fifth of each file); "
                        + "held-out accuracy %.4f, AUC %.4f%n",
                version, sentiment.trainSentences(), sentiment.testSentences(), sentiment.accuracy(), sentiment.auc());
        SegmentTrainer.Report segments = new SegmentTrainer().train(registry, version, data.getFileName().toString(),
                events, cutMs, churnHorizonDays);
        System.out.printf("segment %s: RFM quintiles of %,d customers as of %s; customers and share ordering within %d days after:%n",
                version, segments.customers(), cut, churnHorizonDays);
        segments.segments().forEach(q -> System.out.printf("  %-16s %,6d  %.3f%n", q.segment(), q.customers(),
                q.orderRateAfterCut()));
        int items = trainer.publishPopularity(registry, version, events, cutMs);
        System.out.printf("popularity %s: top %d of %,d items by distinct buyers before %s%n", version,
                Math.min(popularItems, items), items, cut);
        CatalogBuilder.Result built = CatalogBuilder.read(data).build();
        ApprovedCatalog catalog = CatalogBuilder.publish(registry, version, data.getFileName().toString(), built);
        System.out.printf("catalog %s: %,d items; left out:%n", version, catalog.size());
        built.excluded().forEach((rule, codes) -> System.out.printf("  %-18s %,5d  %s%n", rule, codes.size(),
                codes.stream().limit(12).collect(Collectors.joining(" "))));
        SafetyScreen screen = blockedTerms == null
                ? SafetyScreen.publish(registry, version, SafetyScreen.shippedTerms(), "shipped " + SafetyScreen.SHIPPED_TERMS)
                : SafetyScreen.publish(registry, version, Files.readAllLines(blockedTerms), blockedTerms.toString());
        List<String> flagged = built.descriptions().values().stream().filter(text -> !screen.screen(text).safe()).toList();
        System.out.printf("safety-screen %s: %d terms; blocks %d of the catalog's descriptions: %s%n", version,
                screen.size(), flagged.size(), flagged.stream().limit(12).collect(Collectors.joining(" | ")));
        RecommenderTrainer.Report rec = new RecommenderTrainer(data.getFileName().toString(), recommendRounds)
                .train(registry, version, events, cutMs);
        System.out.printf("recommend %s: ranker trained on %,d orders (%,d candidate rows) before %s; DJL serving matches training (max |diff| %.1e)%n",
                version, rec.trainGroups(), rec.trainRows(), cut, rec.maxServingDifference());
        rec.firstOrderAfterCut().forEach((name, m) -> System.out.printf("  first order after the cut, %-20s %s%n", name, m.summary()));
        rec.allOrdersAfterCut().forEach((name, m) -> System.out.printf("  every order after the cut, %-20s %s%n", name, m.summary()));
        System.out.printf("Done in %.1f s. Registry: %s%n", (System.nanoTime() - started) / 1e9, modelsDir.toAbsolutePath());
        return 0;
    }
}
