package io.personalize.jobs.tools;

import io.personalize.schema.PersonalizationDecision;
import io.personalize.schema.SchemaHistory;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a topic the way a consumer of the exactly-once job must ({@code read_committed}), from the
 * beginning, on a thread of its own, and remembers how often each record id (a decision id, an event
 * id) was seen and when it first became visible. It assigns every partition itself (no consumer
 * group, no offsets committed), so it rides out a broker restart.
 */
public final class IdWatch implements AutoCloseable {
    /** The id of a record, from its value. */
    public interface IdOf {
        String id(byte[] value) throws Exception;
    }

    /** The decision ids on a decisions topic. */
    public static IdWatch decisions(String bootstrapServers, String topic, Properties extra) throws InterruptedException {
        var decoder = PersonalizationDecision.createDecoder(SchemaHistory.store());
        return new IdWatch(bootstrapServers, topic, extra, value -> decoder.decode(value).getDecisionId());
    }

    /** The event ids on an events topic (records that are not a UserEvent of any version count as "undecodable"). */
    public static IdWatch events(String bootstrapServers, String topic, Properties extra) throws InterruptedException {
        var decoder = io.personalize.schema.UserEvent.createDecoder(SchemaHistory.store());
        return new IdWatch(bootstrapServers, topic, extra, value -> {
            try {
                return decoder.decode(value).getEventId();
            } catch (Exception e) {
                return "undecodable";
            }
        });
    }

    private final Thread thread;
    private final CountDownLatch assigned = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile Exception failure;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    // guarded by this
    private final Map<String, Integer> counts = new HashMap<>();
    private final Map<String, Long> firstSeen = new HashMap<>();
    private long records;
    private long lastRecordAt;

    private final IdOf idOf;

    public IdWatch(String bootstrapServers, String topic, Properties extra, IdOf idOf) throws InterruptedException {
        this.idOf = idOf;
        Properties props = new Properties();
        props.putAll(extra);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "id-watch-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        thread = new Thread(() -> run(props, topic), "id-watch-" + topic);
        thread.setDaemon(true);
        thread.start();
        if (!assigned.await(60, TimeUnit.SECONDS)) {
            close();
            throw new IllegalStateException("no partitions of " + topic + " within 60 s: " + failure);
        }
        if (failure != null) {
            throw new IllegalStateException("cannot read " + topic, failure);
        }
    }

    private void run(Properties props, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            consumer = c;
            List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " has no partitions");
            }
            c.assign(partitions);
            c.seekToBeginning(partitions);
            assigned.countDown();
            while (running) {
                var batch = c.poll(Duration.ofMillis(200));
                if (batch.isEmpty()) {
                    continue;
                }
                long now = System.currentTimeMillis();
                synchronized (this) {
                    for (ConsumerRecord<byte[], byte[]> record : batch) {
                        String id = idOf.id(record.value());
                        counts.merge(id, 1, Integer::sum);
                        firstSeen.putIfAbsent(id, now);
                        records++;
                    }
                    lastRecordAt = now;
                    notifyAll();
                }
            }
        } catch (WakeupException e) {
            // closed
        } catch (Exception e) {
            failure = e;
        } finally {
            assigned.countDown();
        }
    }

    /** When the first of these ids became visible (epoch ms); -1 if none has yet. */
    public synchronized long firstSeenOfAny(Collection<String> decisionIds) {
        return decisionIds.stream().map(firstSeen::get).filter(t -> t != null).mapToLong(Long::longValue).min()
                .orElse(-1);
    }

    /** Records read so far (duplicates included). */
    public synchronized long records() {
        return records;
    }

    /** Distinct ids read so far. */
    public synchronized int distinct() {
        return counts.size();
    }

    /** Every id read so far, with how often. */
    public synchronized Map<String, Integer> counts() {
        return new HashMap<>(counts);
    }

    public synchronized DeliveryReport report(Collection<String> expectedIds) {
        return DeliveryReport.of(expectedIds, counts);
    }

    /**
     * Waits until every expected id has been seen and then nothing new arrived for {@code idle} (a late
     * duplicate would), or until {@code timeout}; true if every expected id was seen.
     */
    public boolean awaitAll(Collection<String> expectedIds, Duration idle, Duration timeout)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        synchronized (this) {
            while (true) {
                checkAlive();
                long now = System.currentTimeMillis();
                boolean all = counts.keySet().containsAll(expectedIds);
                if (all && now - lastRecordAt >= idle.toMillis()) {
                    return true;
                }
                if (now >= deadline) {
                    return all;
                }
                wait(Math.min(200, deadline - now));
            }
        }
    }

    private void checkAlive() {
        if (failure != null) {
            throw new IllegalStateException("the watch of the topic failed", failure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        thread.join(10_000);
    }
}
