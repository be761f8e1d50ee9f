package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.tools.ClosedLoopSimulation;
import io.personalize.schema.AuditRecord;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.UserEvent;
import io.personalize.schema.VariantResult;
import io.personalize.udfs.experiment.AnalyzeExperiments;
import io.personalize.udfs.training.DefaultModelTrainer;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulated users respond to the job's decisions on a real broker and a RocksDB MiniCluster: the
 * job's live analysis measures the personalized variant's lift over control, and its guardrails stop
 * a variant that harms conversion by themselves, through the control topic.
 */
class ClosedLoopSimulationTest {
    @TempDir
    static Path temp;

    @RegisterExtension
    static final MiniClusterExtension FLINK = PersonalizationJobTest.rocksDbMiniCluster();

    @Test
    void theJobMeasuresTheLiftOfPersonalizationAndStopsABrokenVariantByItself() throws Exception {
        List<UserEvent> all = OnlineRetailEvents.load(OnlineRetailEvents.defaultFile()).events();
        long cut = Instant.parse("2011-09-01T00:00:00Z").toEpochMilli();
        Path models = temp.resolve("models");
        DefaultModelTrainer trainer = new DefaultModelTrainer("online_retail.csv.gz", 30, 20, 100);
        PersonalizationJobTest.trainServingRegistry(models, "v1", trainer, all, cut);

        ClosedLoopSimulation.Outcome outcome;
        try (EmbeddedKafka kafka = new EmbeddedKafka()) {
            outcome = ClosedLoopSimulation.run(kafka.bootstrapServers(), models, "it-", 450, 4, true, 7,
                    new Configuration());
        }
        System.out.println(ClosedLoopSimulation.report(outcome));
        Map<String, VariantResult> measured = outcome.measured().getVariants().stream()
                .collect(Collectors.toMap(VariantResult::getVariant, v -> v));

        VariantResult personalized = measured.get("personalized");
        assertThat(personalized.getLift()).isPositive();
        assertThat(personalized.getLiftCiLow()).as("the lift is significant").isPositive();
        for (String variant : List.of("control", "personalized")) {
            VariantResult v = measured.get(variant);
            double expected = outcome.expectedConversionRate().get(variant);
            double se = Math.sqrt(expected * (1 - expected) / v.getUsers());
            assertThat(v.getConversionRate()).as(variant + ": measured against the simulator's own probabilities")
                    .isBetween(expected - 4 * se, expected + 4 * se);
            assertThat(v.getStopped()).isFalse();
        }

        VariantResult broken = measured.get(ClosedLoopSimulation.BROKEN);
        assertThat(broken.getStopped()).isTrue();
        assertThat(broken.getStopReason()).startsWith("conversion -");
        assertThat(outcome.audit()).extracting(AuditRecord::getKind).contains(AnalyzeExperiments.GUARDRAIL_STOP,
                "VARIANT_STOPPED");
        List<PersonalizationDecision> brokenDecisions = outcome.decisions().stream()
                .filter(d -> ClosedLoopSimulation.BROKEN.equals(d.getVariant())).toList();
        assertThat(brokenDecisions.get(brokenDecisions.size() - 1).getReasons().get(0))
                .as("the variant's users get control's behaviour once stopped").startsWith("VARIANT_STOPPED(");
    }
}
