package io.personalize.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node KRaft Kafka broker inside the test JVM: the test kit's, or with
 * {@link #restartable(Path)} a node (broker and controller in one, as scripts/kafka.sh runs it)
 * on fixed ports and a fixed log folder, which {@link #stop()} and {@link #start()} restart.
 */
final class EmbeddedKafka implements AutoCloseable {
    private final KafkaClusterTestKit cluster;
    private final Properties nodeConfig;
    private KafkaRaftServer node;

    EmbeddedKafka() throws Exception {
        nodeConfig = null;
        cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
    }

    private EmbeddedKafka(Properties nodeConfig) {
        this.cluster = null;
        this.nodeConfig = nodeConfig;
    }

    /** A broker whose data lives in {@code dir} and whose ports stay the same across {@link #stop()} and {@link #start()}. */
    static EmbeddedKafka restartable(Path dir) throws Exception {
        int port = freePort();
        int controllerPort = freePort();
        Properties config = new Properties();
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        config.put("listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        config.put("log.dirs", Files.createDirectories(dir.resolve("data")).toString());
        config.put("offsets.topic.replication.factor", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        // fewer coordinator partitions than the default 50: each one is reloaded after a restart
        config.put("offsets.topic.num.partitions", "4");
        config.put("transaction.state.log.num.partitions", "4");
        config.put("group.initial.rebalance.delay.ms", "0");
        Path file = dir.resolve("server.properties");
        try (var out = Files.newOutputStream(file)) {
            config.store(out, "EmbeddedKafka.restartable");
        }
        int formatted = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                file.toString()}, new PrintStream(OutputStream.nullOutputStream()));
        if (formatted != 0) {
            throw new IllegalStateException("formatting the Kafka storage in " + dir + " failed: " + formatted);
        }
        EmbeddedKafka kafka = new EmbeddedKafka(config);
        kafka.start();
        return kafka;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** Starts the restartable broker again (same ports, same data) and waits until it answers. */
    void start() throws Exception {
        if (nodeConfig == null) {
            throw new IllegalStateException("only a restartable broker starts again");
        }
        if (node != null) {
            return;
        }
        node = new KafkaRaftServer(KafkaConfig.fromProps(nodeConfig), Time.SYSTEM);
        node.startup();
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().nodes().get(); // the broker has registered and serves metadata
        }
    }

    /** A controlled shutdown of the restartable broker (clients see it gone until {@link #start()}). */
    void stop() {
        if (node != null) {
            node.shutdown();
            node.awaitShutdown();
            node = null;
        }
    }

    String bootstrapServers() {
        if (cluster == null) {
            return nodeConfig.getProperty("advertised.listeners").substring("PLAINTEXT://".length());
        }
        return cluster.bootstrapServers();
    }

    void createTopics(int partitions, String... topics) throws Exception {
        createTopics(partitions, Map.of(), topics);
    }

    /** Topics with the given topic configuration, e.g. {@code max.message.bytes}. */
    void createTopics(int partitions, Map<String, String> config, String... topics) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            List<NewTopic> newTopics = new ArrayList<>();
            for (String topic : topics) {
                newTopics.add(new NewTopic(topic, partitions, (short) 1).configs(config));
            }
            admin.createTopics(newTopics).all().get();
            // every partition must have a leader before the first produce request
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                boolean ready;
                try {
                    ready = admin.describeTopics(List.of(topics)).allTopicNames().get().values().stream()
                            .allMatch(t -> t.partitions().size() == partitions
                                    && t.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                    ready = false; // created, but the metadata has not reached the broker's cache yet
                }
                if (ready) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topics without leaders after 30 s: " + List.of(topics));
                }
                Thread.sleep(100);
            }
        }
    }

    /** Every record of the topic (committed ones only), reading until no more arrive for the idle time. */
    List<ConsumerRecord<byte[], byte[]>> readAll(String topic, Duration idle) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            long lastRecord = System.nanoTime();
            while (System.nanoTime() - lastRecord < idle.toNanos()) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    records.forEach(out::add);
                    lastRecord = System.nanoTime();
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        stop();
    }
}
