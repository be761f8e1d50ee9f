package io.personalize.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.jobs.tools.ConsumeTopic;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** scripts/consume.sh's tool on a real broker: what --since and --to-end read, and that --to-end returns by itself. */
class ConsumeTopicTest {
    private static final String SCHEMAS = Path.of(System.getProperty("repo.dir"), "schemas/src/main/avro").toString();
    private static final String HISTORY = Path.of(System.getProperty("repo.dir"), "schemas/src/main/avro-history").toString();
    private static final long EARLIER_RUN = 1_700_000_000_000L;
    private static final long THIS_RUN = EARLIER_RUN + 3_600_000L;
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void writeTwoRuns() throws Exception {
        kafka = new EmbeddedKafka();
        kafka.createTopics(3, "decisions");
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("key.serializer", ByteArraySerializer.class.getName());
        props.put("value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < 30; i++) {
                long time = i < 10 ? EARLIER_RUN + i : THIS_RUN + i;
                producer.send(new ProducerRecord<>("decisions", i % 3, time, key(i), event(i))).get();
            }
            // a record this tool cannot decode, in this run
            producer.send(new ProducerRecord<>("decisions", 0, THIS_RUN + 100, key(99),
                    "not avro".getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
    }

    private static byte[] key(int i) {
        return ("u" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] event(int i) throws Exception {
        ByteBuffer encoded = UserEvent.newBuilder().setEventId("e" + i).setUserId("u" + i)
                .setEventType(EventType.VIEW).setEventTime(EARLIER_RUN + i).setItemId("85123A").build().toByteBuffer();
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return bytes;
    }

    private record Run(int exitCode, List<String> lines, String errors) {}

    private static Run consume(String... options) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
            String[] args = new String[options.length + 7];
            System.arraycopy(new String[] {"decisions", "--bootstrap-servers", kafka.bootstrapServers(), "--schemas",
                    SCHEMAS, "--schema-history", HISTORY}, 0, args, 0, 7);
            System.arraycopy(options, 0, args, 7, options.length);
            int exitCode = new CommandLine(new ConsumeTopic()).execute(args);
            String text = printed.toString(StandardCharsets.UTF_8);
            return new Run(exitCode, text.isEmpty() ? List.of() : List.of(text.split("\n")),
                    errors.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void sinceReadsOnlyTheRecordsWrittenFromThatTimeOnAndToEndStopsAtTheEnd() {
        Run run = consume("--since", Long.toString(THIS_RUN), "--to-end");

        assertThat(run.lines()).hasSize(20).allSatisfy(line -> assertThat(line).contains("\"eventType\": \"VIEW\""));
        assertThat(run.lines()).noneMatch(line -> line.matches(".*\"eventId\": \"e[0-9]\".*"));
        assertThat(run.errors()).contains("cannot decode").contains("21 records read from decisions, 1 undecodable");
        assertThat(run.exitCode()).isEqualTo(3);
    }

    @Test
    void fromBeginningToEndReadsEveryRecordOnce() {
        Run run = consume("--from-beginning", "--to-end");

        assertThat(run.lines()).hasSize(30).doesNotHaveDuplicates();
        assertThat(run.errors()).contains("31 records read from decisions, 1 undecodable");
    }

    @Test
    void aTimeAfterTheLastRecordReadsNothing() {
        Run run = consume("--since", Long.toString(THIS_RUN + 1_000), "--to-end");

        assertThat(run.lines()).isEmpty();
        assertThat(run.errors()).contains("0 records read from decisions, 0 undecodable");
        assertThat(run.exitCode()).isZero();
    }
}
