import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the topics that do not exist yet (replication factor 1) and prints each topic's partition
 * count, all in one JVM and one admin client: kafka.sh create-topics ran two TopicCommand JVMs per
 * topic, about 2.5 s each on a small machine. Run as a single-file source program:
 * java -cp KAFKA_CLASSPATH CreateTopics.java BOOTSTRAP TOPIC:PARTITIONS ...
 */
public class CreateTopics {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: CreateTopics BOOTSTRAP TOPIC:PARTITIONS ...");
            System.exit(2);
        }
        Map<String, Integer> partitions = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int colon = args[i].lastIndexOf(':');
            partitions.put(args[i].substring(0, colon), Integer.parseInt(args[i].substring(colon + 1)));
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        int failed = 0;
        try (Admin admin = Admin.create(props)) {
            List<NewTopic> topics = new ArrayList<>();
            partitions.forEach((topic, count) -> topics.add(new NewTopic(topic, Optional.of(count), Optional.of((short) 1))));
            var created = admin.createTopics(topics).values();
            for (String topic : partitions.keySet()) {
                try {
                    created.get(topic).get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        System.err.println("could not create topic '" + topic + "': " + e.getCause().getMessage());
                        failed++;
                    }
                }
            }
            var described = admin.describeTopics(partitions.keySet()).topicNameValues();
            for (String topic : partitions.keySet()) {
                try {
                    TopicDescription description = described.get(topic).get();
                    System.out.println("topic " + topic + ": " + description.partitions().size() + " partition(s)");
                } catch (ExecutionException e) {
                    System.err.println("could not describe topic '" + topic + "': " + e.getCause().getMessage());
                    failed++;
                }
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
