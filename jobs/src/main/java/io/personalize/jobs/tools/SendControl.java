package io.personalize.jobs.tools;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Sends one command to the running job's control topic: ERASE_USER for a deletion request, or
 * DEPLOY_MODEL / SHADOW_MODEL / STOP_SHADOW to change the model versions it serves without a restart.
 */
@Command(name = "control", mixinStandardHelpOptions = true,
        description = "Send a command to the job's control topic; the audit topic records what the job did.")
public final class SendControl implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092") String bootstrapServers;
    @Option(names = "--topic", defaultValue = "control") String topic;
    @Option(names = "--command", defaultValue = "ERASE_USER",
            description = "ERASE_USER (default), DEPLOY_MODEL, SHADOW_MODEL or STOP_SHADOW.") ControlCommand command;
    @Option(names = "--user", description = "ERASE_USER: the user the command is about.") String user;
    @Option(names = "--model", description = "Model commands: the model, e.g. propensity.") String model;
    @Option(names = "--version", description = "DEPLOY_MODEL/SHADOW_MODEL: the version.") String version;
    @Option(names = "--location",
            description = "DEPLOY_MODEL/SHADOW_MODEL: the version folder, readable by every TaskManager "
                    + "(default: <models-dir>/<model>/<version>).") String location;
    @Option(names = "--models-dir", defaultValue = "models", description = "Registry folder for the default location.")
    Path modelsDir;
    @Option(names = "--sha256", description = "DEPLOY_MODEL/SHADOW_MODEL: SHA-256 the model file must have "
            + "(default: the one its metadata.json records, printed).") String sha256;
    @Option(names = "--requested-by", defaultValue = "${sys:user.name}", description = "Who asks (audit trail).")
    String requestedBy;
    @Option(names = "--request-id", description = "Unique request id (default: a random UUID).") String requestId;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SendControl()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ControlEvent.Builder control = ControlEvent.newBuilder()
                .setRequestId(requestId != null ? requestId : UUID.randomUUID().toString())
                .setCommand(command)
                .setRequestedBy(requestedBy)
                .setRequestedAt(System.currentTimeMillis());
        String key;
        String watch;
        if (command == ControlCommand.ERASE_USER) {
            require(user, "--user");
            control.setUserId(user);
            key = user;
            watch = "the audit topic will show USER_ERASED from user-features and decide-and-assign";
        } else if (command == ControlCommand.UNKNOWN) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--command UNKNOWN cannot be sent");
        } else {
            require(model, "--model");
            control.setModelName(model);
            key = model;
            if (command != ControlCommand.STOP_SHADOW) {
                require(version, "--version");
                Path dir = location != null ? Path.of(location) : modelsDir.resolve(model).resolve(version);
                if (sha256 == null) {
                    ModelMetadata metadata = ModelRegistry.json().readValue(
                            Files.readString(dir.resolve(ModelRegistry.METADATA_FILE)), ModelMetadata.class);
                    sha256 = metadata.sha256;
                    System.out.println("checksum from " + dir.resolve(ModelRegistry.METADATA_FILE) + ": " + sha256);
                }
                control.setModelVersion(version).setModelLocation(dir.toAbsolutePath().toString()).setModelSha256(sha256);
            }
            watch = "the audit topic will show MODEL_DEPLOYED, MODEL_SHADOWED, SHADOW_STOPPED or MODEL_REJECTED "
                    + "(with the reason) from deploy-models";
        }
        ControlEvent event = control.build();
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            ByteBuffer value = event.toByteBuffer();
            byte[] bytes = new byte[value.remaining()];
            value.get(bytes);
            producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), bytes)).get();
        }
        System.out.println("sent " + command + " for " + key + " (request " + event.getRequestId() + ") to " + topic
                + "; " + watch);
        return 0;
    }

    private void require(String value, String option) {
        if (value == null || value.isBlank()) {
            throw new CommandLine.ParameterException(new CommandLine(this), option + " is required for " + command);
        }
    }
}
