package io.personalize.jobs.tools;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.avro.generic.GenericData;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Prints a topic's records as JSON, one per line, decoded with nothing but the .avsc files. */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Print a topic's Avro single-object records as JSON, decoded with the .avsc files only.")
public final class ConsumeTopic implements Callable<Integer> {
    @Parameters(index = "0", description = "Topic to read.")
    String topic;

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092")
    String bootstrapServers;

    @Option(names = "--schemas", description = "Folder of the current .avsc files. Default: schemas/src/main/avro")
    Path schemas = Path.of("schemas/src/main/avro");

    @Option(names = "--schema-history", description = "Folder of earlier versions of the schemas, for records "
            + "older builds wrote. Default: schemas/src/main/avro-history")
    Path schemaHistory = Path.of("schemas/src/main/avro-history");

    @Option(names = "--from-beginning", description = "Read the topic from its start (default: only new records).")
    boolean fromBeginning;

    @Option(names = "--since", paramLabel = "EPOCH_MS",
            description = "Start at the first record whose timestamp is at or after this time (epoch ms): "
                    + "e.g. the records a run wrote, when the topic also holds earlier runs'.")
    Long sinceMs;

    @Option(names = "--to-end", description = "Stop at the end the topic had when reading started "
            + "(its last committed record), instead of waiting for new records.")
    boolean toEnd;

    @Option(names = "--max", defaultValue = "0", description = "Stop after this many records (0: never).")
    long max;

    @Option(names = "--timeout", defaultValue = "0",
            description = "Stop after this many seconds without a record (0: never).")
    int idleTimeoutSeconds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ConsumeTopic()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        SchemaFileDecoder decoder = new SchemaFileDecoder(schemas, schemaHistory);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "consume-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        // a group of its own each time: committed offsets would only pile up on the broker
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long read = 0;
        long undecodable = 0;
        long lastRecordAt = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            Map<TopicPartition, Long> end = sinceMs != null || toEnd ? assign(consumer) : null;
            if (end == null) {
                consumer.subscribe(List.of(topic));
            }
            while ((max == 0 || read < max) && !(toEnd && reachedEnd(consumer, end))) {
                var records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    if (idleTimeoutSeconds > 0
                            && System.nanoTime() - lastRecordAt > idleTimeoutSeconds * 1_000_000_000L) {
                        break;
                    }
                    continue;
                }
                lastRecordAt = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (toEnd && record.offset() >= end.get(new TopicPartition(record.topic(), record.partition()))) {
                        continue;
                    }
                    try {
                        System.out.println(GenericData.get().toString(decoder.decode(record.value())));
                    } catch (Exception e) {
                        undecodable++;
                        System.err.printf("partition %d offset %d: cannot decode: %s%n", record.partition(),
                                record.offset(), e.getMessage());
                    }
                    if (++read == max) {
                        break;
                    }
                }
                System.out.flush();
            }
        }
        System.err.printf("%,d records read from %s, %,d undecodable%n", read, topic, undecodable);
        return undecodable == 0 ? 0 : 3;
    }

    /**
     * Assigns every partition of the topic, positioned at --since (or at the start or the end), and
     * returns each partition's end offset now (with read_committed: after its last committed record).
     */
    private Map<TopicPartition, Long> assign(KafkaConsumer<byte[], byte[]> consumer) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        if (sinceMs != null) {
            Map<TopicPartition, Long> since = new HashMap<>();
            partitions.forEach(p -> since.put(p, sinceMs));
            Map<TopicPartition, OffsetAndTimestamp> first = consumer.offsetsForTimes(since);
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp at = first.get(p);
                consumer.seek(p, at == null ? end.get(p) : at.offset());
            }
        } else if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else {
            consumer.seekToEnd(partitions);
        }
        return end;
    }

    private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
