package io.personalize.jobs.tools;

import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

/** Sends one command to the running job's control topic, e.g. ERASE_USER for a deletion request. */
@Command(name = "control", mixinStandardHelpOptions = true,
        description = "Send a command to the job's control topic; the audit topic records what the job did.")
public final class SendControl implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092") String bootstrapServers;
    @Option(names = "--topic", defaultValue = "control") String topic;
    @Option(names = "--command", defaultValue = "ERASE_USER", description = "ERASE_USER (default).") ControlCommand command;
    @Option(names = "--user", required = true, description = "The user the command is about.") String user;
    @Option(names = "--requested-by", defaultValue = "${sys:user.name}", description = "Who asks (audit trail).")
    String requestedBy;
    @Option(names = "--request-id", description = "Unique request id (default: a random UUID).") String requestId;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SendControl()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (user.isBlank()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--user must not be empty");
        }
        ControlEvent control = ControlEvent.newBuilder()
                .setRequestId(requestId != null ? requestId : UUID.randomUUID().toString())
                .setCommand(command)
                .setUserId(user)
                .setRequestedBy(requestedBy)
                .setRequestedAt(System.currentTimeMillis())
                .build();
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            ByteBuffer value = control.toByteBuffer();
            byte[] bytes = new byte[value.remaining()];
            value.get(bytes);
            producer.send(new ProducerRecord<>(topic, user.getBytes(StandardCharsets.UTF_8), bytes)).get();
        }
        System.out.println("sent " + command + " for user " + user + " (request " + control.getRequestId() + ") to "
                + topic + "; the audit topic will show USER_ERASED from user-features and decide-and-assign");
        return 0;
    }
}
