package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.personalize.udfs.model.ModelRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Samples the TaskManager's used heap through Flink's REST API every 2 s. The lowest sample of a
 * minute is the heap that survived collection: the figure that grows if something leaks.
 */
final class HeapSampler implements AutoCloseable {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String rest;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "heap-sampler");
        t.setDaemon(true);
        return t;
    });
    private String taskManagerId;
    private double lowestMib = Double.NaN;

    HeapSampler(String rest) {
        this.rest = rest;
        timer.scheduleAtFixedRate(this::sample, 0, 2, TimeUnit.SECONDS);
    }

    synchronized void startMinute() {
        lowestMib = Double.NaN;
    }

    /** The lowest used heap since {@link #startMinute}, in MiB (NaN when the REST API did not answer). */
    synchronized double lowestMib() {
        return lowestMib;
    }

    private void sample() {
        try {
            if (taskManagerId == null) {
                taskManagerId = get("/taskmanagers").path("taskmanagers").path(0).path("id").asText(null);
            }
            JsonNode metrics = get("/taskmanagers/" + taskManagerId + "/metrics?get=Status.JVM.Memory.Heap.Used");
            double mib = metrics.path(0).path("value").asDouble(Double.NaN) / (1024 * 1024);
            synchronized (this) {
                if (Double.isNaN(lowestMib) || mib < lowestMib) {
                    lowestMib = mib;
                }
            }
        } catch (Exception e) {
            taskManagerId = null; // the TaskManager may have been replaced; look it up again
        }
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(rest + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return ModelRegistry.json().readTree(response.body());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
