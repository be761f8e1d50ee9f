package io.personalize.jobs.tools;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.ExperimentDefinition;
import io.personalize.udfs.experiment.ExperimentCommands;
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
 * Sends one command to the running job's control topic: ERASE_USER, OPT_OUT or OPT_IN for a user;
 * DEPLOY_MODEL / SHADOW_MODEL / STOP_SHADOW to change the model versions it serves without a
 * restart; START_EXPERIMENT / STOP_EXPERIMENT / SET_EXPERIMENT_WEIGHTS / STOP_VARIANT to change its
 * experiments.
 */
@Command(name = "control", mixinStandardHelpOptions = true,
        description = "Send a command to the job's control topic; the audit topic records what the job did.")
public final class SendControl implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092") String bootstrapServers;
    @Option(names = "--topic", defaultValue = "control") String topic;
    @Option(names = "--command", defaultValue = "ERASE_USER",
            description = "ERASE_USER (default), OPT_OUT, OPT_IN, DEPLOY_MODEL, SHADOW_MODEL, STOP_SHADOW, "
                    + "START_EXPERIMENT, STOP_EXPERIMENT, SET_EXPERIMENT_WEIGHTS or STOP_VARIANT.") ControlCommand command;
    @Option(names = "--user", description = "ERASE_USER, OPT_OUT, OPT_IN: the user the command is about.") String user;
    @Option(names = "--experiment", description = "Experiment commands: the experiment key.") String experiment;
    @Option(names = "--variations", split = ",", description = "START_EXPERIMENT: variation keys, control first.")
    java.util.List<String> variations;
    @Option(names = "--weights", split = ",",
            description = "START_EXPERIMENT, SET_EXPERIMENT_WEIGHTS: one weight per variation (default equal).")
    java.util.List<Double> weights;
    @Option(names = "--coverage", defaultValue = "1.0", description = "START_EXPERIMENT: share of users in it.")
    double coverage;
    @Option(names = "--hash-version", defaultValue = "2", description = "START_EXPERIMENT: GrowthBook hash version.")
    int hashVersion;
    @Option(names = "--namespace", description = "START_EXPERIMENT: NAME:START:END, e.g. checkout:0:0.5 "
            + "(experiments in one namespace with disjoint ranges share no user).") String namespace;
    @Option(names = "--holdout", description = "START_EXPERIMENT: a holdout (control's users get the default "
            + "everywhere, the others go on to later experiments).") boolean holdout;
    @Option(names = "--variant", description = "STOP_VARIANT: the variation to stop.") String variant;
    @Option(names = "--reason", description = "Why (audit trail).") String reason;
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
        control.setReason(reason);
        if (command == ControlCommand.ERASE_USER || command == ControlCommand.OPT_OUT
                || command == ControlCommand.OPT_IN) {
            require(user, "--user");
            control.setUserId(user);
            key = user;
            watch = command == ControlCommand.ERASE_USER
                    ? "the audit topic will show USER_ERASED from user-features and decide-and-assign"
                    : "the audit topic will show what decide-and-assign did";
        } else if (ExperimentCommands.isExperimentCommand(command)) {
            require(experiment, "--experiment");
            key = experiment;
            switch (command) {
                case START_EXPERIMENT -> {
                    if (variations == null || variations.size() < 2) {
                        throw new CommandLine.ParameterException(new CommandLine(this),
                                "--variations needs at least two keys, control first");
                    }
                    ExperimentDefinition.Builder definition = ExperimentDefinition.newBuilder().setKey(experiment)
                            .setVariations(variations).setWeights(weights == null ? java.util.List.of() : weights)
                            .setCoverage(coverage).setHashVersion(hashVersion).setHoldout(holdout);
                    if (namespace != null) {
                        String[] parts = namespace.split(":");
                        if (parts.length != 3) {
                            throw new CommandLine.ParameterException(new CommandLine(this),
                                    "--namespace must be NAME:START:END, got " + namespace);
                        }
                        definition.setNamespace(parts[0]).setNamespaceStart(Double.parseDouble(parts[1]))
                                .setNamespaceEnd(Double.parseDouble(parts[2]));
                    }
                    control.setExperiment(definition.build());
                }
                case SET_EXPERIMENT_WEIGHTS -> {
                    require(weights, "--weights");
                    control.setExperimentKey(experiment).setWeights(weights);
                }
                case STOP_VARIANT -> {
                    require(variant, "--variant");
                    control.setExperimentKey(experiment).setVariant(variant);
                }
                default -> control.setExperimentKey(experiment);
            }
            watch = "the audit topic will show what decide-and-assign did (EXPERIMENT_STARTED, EXPERIMENT_STOPPED, "
                    + "EXPERIMENT_WEIGHTS_CHANGED, VARIANT_STOPPED) or CONTROL_REJECTED with the reason";
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

    private void require(Object value, String option) {
        if (value == null || value.toString().isBlank()) {
            throw new CommandLine.ParameterException(new CommandLine(this), option + " is required for " + command);
        }
    }
}
