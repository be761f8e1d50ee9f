package io.personalize.jobs.tools;

import io.personalize.schema.DeadLetterReason;
import io.personalize.schema.UserEvent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Sends events to the input topic as Avro single-object records keyed by user, optionally paced and with bad records mixed in. */
public final class EventReplayer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final AtomicReference<Exception> sendError = new AtomicReference<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong malformedSent = new AtomicLong();
    private final Map<DeadLetterReason, Long> malformedByReason = new EnumMap<>(DeadLetterReason.class);

    public EventReplayer(String bootstrapServers, String topic, Properties extra) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(1 << 20));
        props.putAll(extra);
        this.producer = new KafkaProducer<>(props);
        this.topic = topic;
    }

    /**
     * Sends the events in order. {@code eventsPerSecond <= 0} sends as fast as possible;
     * {@code malformedEvery > 0} puts one bad record (cycling through every kind a broker with default
     * limits takes) after every that many events. {@code onSend} is called just before each valid
     * event is sent.
     */
    public void replay(List<UserEvent> events, double eventsPerSecond, int malformedEvery, long seed,
            LongConsumer onSend) throws Exception {
        Random random = new Random(seed);
        MalformedRecords.Kind[] kinds = Arrays.stream(MalformedRecords.Kind.values())
                .filter(kind -> kind.fitsDefaultBroker).toArray(MalformedRecords.Kind[]::new);
        long start = System.nanoTime();
        for (int i = 0; i < events.size(); i++) {
            if (eventsPerSecond > 0) {
                long due = start + (long) (i * 1e9 / eventsPerSecond);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            UserEvent event = events.get(i);
            if (onSend != null) {
                onSend.accept(System.currentTimeMillis());
            }
            send(event.getUserId(), MalformedRecords.encode(event));
            sent.incrementAndGet();
            if (malformedEvery > 0 && (i + 1) % malformedEvery == 0) {
                MalformedRecords.Kind kind = kinds[(int) (malformedSent.get() % kinds.length)];
                MalformedRecords.Bad bad = MalformedRecords.make(kind, event, random);
                send(bad.key(), bad.value());
                malformedSent.incrementAndGet();
                malformedByReason.merge(bad.reason(), 1L, Long::sum);
            }
            Exception error = sendError.get();
            if (error != null) {
                throw error;
            }
        }
        flush();
    }

    public void send(String key, byte[] value) {
        send(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
    }

    /** Sends one record as it is; the future says where it landed. A failure also makes the next flush or replay throw. */
    public Future<RecordMetadata> send(byte[] key, byte[] value) {
        return producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
            if (error != null) {
                sendError.compareAndSet(null, error);
            }
        });
    }

    /** Waits until every record sent so far is acknowledged; throws the first failure. */
    public void flush() throws Exception {
        producer.flush();
        if (sendError.get() != null) {
            throw sendError.get();
        }
    }

    public long sent() {
        return sent.get();
    }

    public long malformedSent() {
        return malformedSent.get();
    }

    /** The malformed records sent so far, by the dead-letter reason the job must give them. */
    public Map<DeadLetterReason, Long> malformedByReason() {
        return Map.copyOf(malformedByReason);
    }

    @Override
    public void close() {
        producer.close();
    }
}
