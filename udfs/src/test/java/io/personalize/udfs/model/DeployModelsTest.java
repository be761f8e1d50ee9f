package io.personalize.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.AuditRecord;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TrainedModels;
import io.personalize.udfs.control.AuditRecords;
import io.personalize.udfs.decision.DecisionPolicy;
import io.personalize.udfs.features.FeatureVector;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.features.UserFeatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeployModelsTest {
    private static final Map<String, List<String>> SWAPPABLE = Map.of(DecisionPolicy.PROPENSITY_MODEL, FeatureVector.NAMES);

    private static BroadcastOperatorTestHarness<FeaturizedEvent, ControlEvent, FeaturizedEvent> harness(
            OperatorSubtaskState restoreFrom) throws Exception {
        var harness = new BroadcastOperatorTestHarness<>(new CoBroadcastWithNonKeyedOperator<>(
                new DeployModels(SWAPPABLE), List.of(DeployModels.DEPLOYMENTS)), 1, 1, 0);
        harness.setup();
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    static ControlEvent command(ControlCommand command, String model, Path location, String sha256) {
        return ControlEvent.newBuilder().setRequestId("req-" + command + "-" + System.nanoTime())
                .setCommand(command).setModelName(model)
                .setModelVersion(location == null ? null : location.getFileName().toString())
                .setModelLocation(location == null ? null : location.toString())
                .setModelSha256(sha256).setRequestedBy("test").setRequestedAt(1L).build();
    }

    static String sha256(Path versionDir) throws Exception {
        return ModelRegistry.loadAt(versionDir, DecisionPolicy.PROPENSITY_MODEL, versionDir.getFileName().toString(),
                null, null).metadata().sha256;
    }

    static FeaturizedEvent event(String id) {
        return FeaturizedEvent.of(UserEvent.newBuilder().setEventId(id).setUserId("u1").setEventType(EventType.VIEW)
                .setEventTime(1_000L).setItemId("i1").build(), new UserFeatures());
    }

    private static String stampAfter(BroadcastOperatorTestHarness<FeaturizedEvent, ControlEvent, FeaturizedEvent> h,
            String eventId) throws Exception {
        h.processElement(event(eventId), 1_000);
        List<FeaturizedEvent> out = h.extractOutputValues();
        return out.get(out.size() - 1).modelDeployments;
    }

    private static List<AuditRecord> audit(BroadcastOperatorTestHarness<FeaturizedEvent, ControlEvent, FeaturizedEvent> h) {
        return h.getSideOutput(AuditRecords.AUDIT).stream().map(r -> r.getValue()).toList();
    }

    @Test
    void aValidatedVersionIsStampedOnEveryLaterEventAndSurvivesARestore() throws Exception {
        Path v2 = TrainedModels.secondPropensityVersion();
        OperatorSubtaskState snapshot;
        try (var h = harness(null)) {
            assertThat(stampAfter(h, "before")).as("nothing deployed: the registry's versions").isNull();
            h.processBroadcastElement(command(ControlCommand.DEPLOY_MODEL, DecisionPolicy.PROPENSITY_MODEL, v2,
                    sha256(v2)), 2_000);
            ModelDeployment deployed = ModelDeployment.parse(stampAfter(h, "after")).get(DecisionPolicy.PROPENSITY_MODEL);
            assertThat(deployed.live.version).isEqualTo(TrainedModels.VERSION_2);
            assertThat(deployed.live.location).isEqualTo(v2.toString());
            assertThat(deployed.shadow).isNull();
            assertThat(audit(h)).singleElement().satisfies(a -> {
                assertThat(a.getKind()).isEqualTo(DeployModels.MODEL_DEPLOYED);
                assertThat(a.getDetail()).contains("test-2");
            });

            h.processBroadcastElement(command(ControlCommand.SHADOW_MODEL, DecisionPolicy.PROPENSITY_MODEL, v2,
                    sha256(v2)), 3_000);
            assertThat(ModelDeployment.parse(stampAfter(h, "shadowed")).get(DecisionPolicy.PROPENSITY_MODEL).shadow.version)
                    .isEqualTo(TrainedModels.VERSION_2);
            snapshot = h.snapshot(1, 4_000);
        }
        try (var restored = harness(snapshot)) {
            ModelDeployment afterRestore =
                    ModelDeployment.parse(stampAfter(restored, "restored")).get(DecisionPolicy.PROPENSITY_MODEL);
            assertThat(afterRestore.live.version).isEqualTo(TrainedModels.VERSION_2);
            assertThat(afterRestore.shadow.version).isEqualTo(TrainedModels.VERSION_2);
            restored.processBroadcastElement(command(ControlCommand.STOP_SHADOW, DecisionPolicy.PROPENSITY_MODEL, null,
                    null), 5_000);
            assertThat(ModelDeployment.parse(stampAfter(restored, "stopped")).get(DecisionPolicy.PROPENSITY_MODEL).shadow)
                    .isNull();
            assertThat(audit(restored)).extracting(AuditRecord::getKind).containsExactly(DeployModels.SHADOW_STOPPED);
        }
    }

    @Test
    void corruptIncompatibleOrUnknownVersionsAreRejectedAndTheOldOneStays(@TempDir Path temp) throws Exception {
        Path v2 = TrainedModels.secondPropensityVersion();
        Path corrupt = copyOf(v2, temp.resolve("corrupt/test-2"));
        Path modelFile = corrupt.resolve("propensity.json");
        Files.writeString(modelFile, Files.readString(modelFile).replaceFirst("\\d", "7"));
        Path incompatible = copyOf(v2, temp.resolve("incompatible/test-2"));
        Path metadata = incompatible.resolve(ModelRegistry.METADATA_FILE);
        Files.writeString(metadata, Files.readString(metadata).replace("\"orders\"", "\"orders_renamed\""));

        try (var h = harness(null)) {
            h.processBroadcastElement(command(ControlCommand.DEPLOY_MODEL, DecisionPolicy.PROPENSITY_MODEL, v2,
                    sha256(v2)), 1_000);
            String good = stampAfter(h, "e1");
            h.processBroadcastElement(command(ControlCommand.DEPLOY_MODEL, DecisionPolicy.PROPENSITY_MODEL, corrupt,
                    sha256(v2)), 2_000);
            h.processBroadcastElement(command(ControlCommand.DEPLOY_MODEL, DecisionPolicy.PROPENSITY_MODEL, incompatible,
                    sha256(incompatible)), 3_000);
            h.processBroadcastElement(command(ControlCommand.DEPLOY_MODEL, DecisionPolicy.PROPENSITY_MODEL, v2,
                    "0".repeat(64)), 4_000);
            h.processBroadcastElement(command(ControlCommand.DEPLOY_MODEL, "no-such-model", v2, sha256(v2)), 5_000);
            h.processBroadcastElement(command(ControlCommand.SHADOW_MODEL, DecisionPolicy.PROPENSITY_MODEL,
                    temp.resolve("missing/test-2"), sha256(v2)), 6_000);

            assertThat(stampAfter(h, "e2")).as("every bad command left the deployment alone").isEqualTo(good);
            List<AuditRecord> audit = audit(h);
            assertThat(audit).extracting(AuditRecord::getKind).containsExactly(DeployModels.MODEL_DEPLOYED,
                    DeployModels.MODEL_REJECTED, DeployModels.MODEL_REJECTED, DeployModels.MODEL_REJECTED,
                    DeployModels.MODEL_REJECTED, DeployModels.MODEL_REJECTED);
            assertThat(audit.get(1).getDetail()).contains("checksum");
            assertThat(audit.get(2).getDetail()).contains("feature #0 is 'orders_renamed'");
            assertThat(audit.get(3).getDetail()).contains("is not the requested");
            assertThat(audit.get(4).getDetail()).contains("cannot be swapped");
            assertThat(audit.get(5).getDetail()).contains("holds no metadata.json");
        }
    }

    @Test
    void deploymentStateIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ModelDeployment.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(FeaturizedEvent.class);
    }

    static Path copyOf(Path versionDir, Path target) throws Exception {
        Files.createDirectories(target);
        for (Path file : Files.list(versionDir).toList()) {
            Files.copy(file, target.resolve(file.getFileName()));
        }
        return target;
    }
}
