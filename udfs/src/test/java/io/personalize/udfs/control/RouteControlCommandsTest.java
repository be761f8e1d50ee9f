package io.personalize.udfs.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.DeadLetter;
import io.personalize.schema.SchemaHistory;
import io.personalize.schema.UserEvent;
import io.personalize.udfs.TestEvents;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

class RouteControlCommandsTest {
    private final ControlEventKafkaDeserializer deserializer = new ControlEventKafkaDeserializer();

    private DecodedControl decode(byte[] value) {
        return deserializer.decode("control", 0, 7, 1L, "k".getBytes(), value);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    private static ControlEvent command(ControlCommand command, String user) {
        return ControlEvent.newBuilder().setRequestId("r-" + command + "-" + user).setCommand(command)
                .setUserId(user).setRequestedAt(1L).build();
    }

    /** A command left on the control topic by an older build (e.g. replayed after an upgrade) still reads. */
    @Test
    void commandsWrittenWithEveryEarlierControlEventSchemaAreReadAsTheCurrentCommand() throws Exception {
        var earlier = SchemaHistory.earlierVersionsOf(ControlEvent.getClassSchema());
        assertThat(earlier).hasSize(3);
        for (Schema writer : earlier) {
            GenericRecord old = new GenericRecordBuilder(writer) // the other fields: that version's defaults
                    .set("requestId", "r-old")
                    .set("command", new GenericData.EnumSymbol(writer.getField("command").schema(), "ERASE_USER"))
                    .set("userId", "carol")
                    .set("requestedBy", "ops")
                    .set("requestedAt", 42L)
                    .build();
            byte[] value = bytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(old));

            DecodedControl decoded = decode(value);

            assertThat(decoded.deadLetter).as(writer.toString()).isNull();
            assertThat(decoded.control.getCommand()).isEqualTo(ControlCommand.ERASE_USER);
            assertThat(decoded.control.getUserId()).isEqualTo("carol");
            assertThat(decoded.control.getRequestedAt()).isEqualTo(42L);
            assertThat(decoded.control.getModelName()).isNull(); // a field the old version lacked: its default
        }
    }

    @Test
    void validCommandsGoOnBadRecordsBecomeDeadLettersAndUnusableCommandsAreAudited() throws Exception {
        byte[] erase = bytes(command(ControlCommand.ERASE_USER, "alice").toByteBuffer());
        byte[] noUser = bytes(command(ControlCommand.ERASE_USER, null).toByteBuffer());
        byte[] unknown = bytes(command(ControlCommand.UNKNOWN, "bob").toByteBuffer());
        byte[] truncated = Arrays.copyOf(erase, erase.length - 4);
        byte[] anEvent = bytes(TestEvents.purchase("u", "i", TestEvents.T0, 1, 1, "o").toByteBuffer());

        try (var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new RouteControlCommands()))) {
            harness.open();
            for (byte[] value : List.of(erase, noUser, unknown, truncated, anEvent, new byte[0], "{}".getBytes())) {
                harness.processElement(new StreamRecord<>(decode(value)));
            }
            assertThat(harness.extractOutputValues()).extracting(ControlEvent::getUserId).containsExactly("alice");
            List<String> deadReasons = harness.getSideOutput(RouteControlCommands.DEAD_LETTERS).stream()
                    .map(r -> ((DeadLetter) r.getValue()).getReason().name()).toList();
            assertThat(deadReasons).containsExactly("UNDECODABLE", "UNKNOWN_SCHEMA", "EMPTY", "BAD_HEADER");
            assertThat(harness.getSideOutput(AuditRecords.AUDIT)).extracting(r -> r.getValue().getDetail())
                    .satisfiesExactly(
                            d -> assertThat(d).contains("ERASE_USER without a userId"),
                            d -> assertThat(d).contains("unknown command"));
        }
    }

    @Test
    void modelCommandsNeedAModelAndDeploymentsAVersionLocationAndChecksum() throws Exception {
        ControlEvent deploy = ControlEvent.newBuilder().setRequestId("d1").setCommand(ControlCommand.DEPLOY_MODEL)
                .setModelName("propensity").setModelVersion("v2").setModelLocation("/models/propensity/v2")
                .setModelSha256("ab").setRequestedAt(1L).build();
        ControlEvent stop = ControlEvent.newBuilder().setRequestId("s1").setCommand(ControlCommand.STOP_SHADOW)
                .setModelName("propensity").setRequestedAt(1L).build();
        ControlEvent noChecksum = ControlEvent.newBuilder(deploy).setRequestId("d2").setModelSha256(null).build();
        ControlEvent noModel = ControlEvent.newBuilder(stop).setRequestId("s2").setModelName(" ").build();
        try (var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new RouteControlCommands()))) {
            harness.open();
            for (ControlEvent c : List.of(deploy, stop, noChecksum, noModel)) {
                harness.processElement(new StreamRecord<>(decode(bytes(c.toByteBuffer()))));
            }
            assertThat(harness.extractOutputValues()).extracting(ControlEvent::getRequestId).containsExactly("d1", "s1");
            assertThat(harness.getSideOutput(AuditRecords.AUDIT)).extracting(r -> r.getValue().getDetail())
                    .satisfiesExactly(
                            d -> assertThat(d).contains("needs modelVersion, modelLocation and modelSha256"),
                            d -> assertThat(d).contains("STOP_SHADOW without a modelName"));
        }
    }

    @Test
    void experimentCommandsNeedAValidDefinitionOrAKeyAndWhatTheyChange() throws Exception {
        var definition = io.personalize.schema.ExperimentDefinition.newBuilder().setKey("ranker-v2")
                .setVariations(List.of("control", "ranker")).build();
        ControlEvent start = ControlEvent.newBuilder().setRequestId("e1").setCommand(ControlCommand.START_EXPERIMENT)
                .setExperiment(definition).setRequestedAt(1L).build();
        ControlEvent badStart = ControlEvent.newBuilder(start).setRequestId("e2").setExperiment(
                io.personalize.schema.ExperimentDefinition.newBuilder(definition).setWeights(List.of(0.9, 0.9)).build())
                .build();
        ControlEvent stopVariant = ControlEvent.newBuilder().setRequestId("e3").setCommand(ControlCommand.STOP_VARIANT)
                .setExperimentKey("ranker-v2").setVariant("ranker").setRequestedAt(1L).build();
        ControlEvent noVariant = ControlEvent.newBuilder(stopVariant).setRequestId("e4").setVariant(null).build();
        ControlEvent noWeights = ControlEvent.newBuilder(stopVariant).setRequestId("e5")
                .setCommand(ControlCommand.SET_EXPERIMENT_WEIGHTS).build();
        ControlEvent optOut = command(ControlCommand.OPT_OUT, "carol");
        ControlEvent optInNoUser = command(ControlCommand.OPT_IN, null);
        try (var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new RouteControlCommands()))) {
            harness.open();
            for (ControlEvent c : List.of(start, badStart, stopVariant, noVariant, noWeights, optOut, optInNoUser)) {
                harness.processElement(new StreamRecord<>(decode(bytes(c.toByteBuffer()))));
            }
            assertThat(harness.extractOutputValues()).extracting(ControlEvent::getRequestId)
                    .containsExactly("e1", "e3", optOut.getRequestId());
            assertThat(harness.getSideOutput(AuditRecords.AUDIT)).extracting(r -> r.getValue().getDetail())
                    .satisfiesExactly(
                            d -> assertThat(d).contains("weights must sum to 1"),
                            d -> assertThat(d).contains("STOP_VARIANT without a variant"),
                            d -> assertThat(d).contains("SET_EXPERIMENT_WEIGHTS without weights"),
                            d -> assertThat(d).contains("OPT_IN without a userId"));
        }
    }

    @Test
    void controlRecordsAreFlinkPojos() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(DecodedControl.class);
    }
}
