package io.personalize.jobs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Opens a running job's page of the Flink web UI in headless Chromium (driven over the DevTools
 * protocol), waits until the job graph shows every vertex the REST API lists, gives the graph the
 * room to be read (the UI fits it into a 500 px high box), saves a PNG and checks the render: each
 * vertex is a node of the graph, the given operator names are on the nodes, the PNG is not blank.
 */
@Command(name = "job-graph-screenshot", mixinStandardHelpOptions = true,
        description = "Screenshot of a running job's graph in the Flink web UI, checked.")
public final class JobGraphScreenshot implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final String NODES = "flink-dagre foreignObject .description";

    @Option(names = "--rest", defaultValue = "http://localhost:8081", description = "Flink REST API and web UI.")
    String rest;

    @Option(names = "--job-id", required = true)
    String jobId;

    @Option(names = "--out", required = true, description = "The PNG to write.")
    Path out;

    @Option(names = "--operators", split = ",", description = "Operator names the graph's nodes must show.")
    List<String> operators = List.of();

    @Option(names = "--chromium", defaultValue = "chromium")
    String chromium;

    @Option(names = "--width", defaultValue = "1600")
    int width;

    @Option(names = "--graph-height", defaultValue = "1000", description = "Height of the graph's box, in CSS px.")
    int graphHeight;

    @Option(names = "--pixel-ratio", defaultValue = "1.5", description = "Device pixels per CSS px of the PNG.")
    double pixelRatio;

    @Option(names = "--min-kb", defaultValue = "40", description = "Smallest PNG that counts as a render.")
    int minKb;

    @Option(names = "--timeout", defaultValue = "PT90S", description = "Longest wait for the graph (ISO-8601).")
    Duration timeout;

    public static void main(String[] args) {
        System.exit(new CommandLine(new JobGraphScreenshot()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        JsonNode job = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(rest + "/jobs/" + jobId)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        List<String> vertices = new ArrayList<>();
        job.path("vertices").forEach(v -> vertices.add(v.path("name").asText()));
        if (vertices.isEmpty()) {
            System.err.println("job " + jobId + " has no vertices at " + rest + ": " + job);
            return 2;
        }
        String page = rest + "/#/job/running/" + jobId + "/overview";
        Path profile = Files.createTempDirectory("job-graph-chromium");
        Process browser = new ProcessBuilder(chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-extensions",
                "--hide-scrollbars", "--remote-debugging-port=0", "--remote-allow-origins=*",
                "--user-data-dir=" + profile, "about:blank").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (DevTools devTools = DevTools.connect(http, devToolsUrl(browser))) {
            int viewportHeight = graphHeight + 420; // the job's header above the graph, the list's first rows below
            devTools.call("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", viewportHeight,
                    "deviceScaleFactor", pixelRatio, "mobile", false));
            devTools.call("Page.navigate", Map.of("url", page));
            List<String> nodes = waitForNodes(devTools, vertices.size());
            System.out.println("graph nodes (" + nodes.size() + "):");
            nodes.forEach(n -> System.out.println("  " + n));
            List<String> problems = new ArrayList<>();
            for (String vertex : vertices) {
                if (!nodes.contains(vertex)) {
                    problems.add("vertex not drawn: " + vertex);
                }
            }
            for (String operator : operators) {
                if (nodes.stream().noneMatch(n -> n.contains(operator))) {
                    problems.add("operator not on any node: " + operator);
                }
            }
            JsonNode fitted = devTools.evaluate(fitGraphScript(graphHeight));
            Thread.sleep(1000); // one frame with the new layout
            byte[] png = Base64.getDecoder().decode(devTools.call("Page.captureScreenshot",
                    Map.of("format", "png")).path("data").asText());
            if (png.length < minKb * 1024) {
                problems.add("the PNG has " + png.length / 1024 + " KB, less than --min-kb " + minKb
                        + ": a blank page or a spinner");
            }
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.write(out, png);
            System.out.printf("%s: %d KB, %dx%d CSS px at %.1f, graph fitted: %s%n", out, png.length / 1024, width,
                    viewportHeight, pixelRatio, fitted);
            if (!problems.isEmpty()) {
                problems.forEach(p -> System.err.println("render check failed: " + p));
                return 1;
            }
            return 0;
        } finally {
            browser.descendants().forEach(ProcessHandle::destroy);
            browser.destroy();
            browser.waitFor(10, TimeUnit.SECONDS);
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Polls until the graph has a node for every vertex and its layout (node positions and label
     * sizes) stayed the same for two seconds; the nodes' texts.
     */
    private List<String> waitForNodes(DevTools devTools, int expected) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> nodes = List.of();
        String layout = "";
        int stable = 0;
        while (System.nanoTime() < deadline) {
            JsonNode graph = devTools.evaluate("""
                    (() => {
                      const groups = Array.from(document.querySelectorAll('flink-dagre g.node-group'));
                      return {
                        names: Array.from(document.querySelectorAll('%s')).map(e => e.textContent.trim()),
                        layout: groups.map(g => g.getAttribute('transform') + ' '
                            + g.querySelector('foreignObject')?.getAttribute('height')).join(';')
                      };
                    })()""".formatted(NODES));
            List<String> names = new ArrayList<>();
            graph.path("names").forEach(n -> names.add(n.asText()));
            nodes = names;
            String now = graph.path("layout").asText();
            stable = nodes.size() >= expected && now.equals(layout) ? stable + 1 : 0;
            layout = now;
            if (stable >= 4) {
                return nodes;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the job graph did not render " + expected + " nodes with a settled layout within "
                + timeout + " (found " + nodes.size() + ")");
    }

    /**
     * The web UI fits the graph into a fixed 500 px high box, where a graph of this size is unreadable:
     * the box gets the given height and the graph (its nodes' extent) is fitted into it again, at
     * most at scale 1.
     */
    private static String fitGraphScript(int height) {
        return """
                (() => {
                  const box = document.querySelector('flink-job-overview .container');
                  box.style.height = '%dpx';
                  const svg = box.querySelector('flink-svg-container svg');
                  const zoom = svg.querySelector(':scope > g');
                  const r = svg.getBoundingClientRect();
                  // the layout's own coordinates: each node group's translation and its label's box
                  let gx0 = Infinity, gy0 = Infinity, gx1 = -Infinity, gy1 = -Infinity;
                  for (const node of zoom.querySelectorAll('g.node-group')) {
                    const at = node.transform.baseVal.consolidate().matrix;
                    const label = node.querySelector('foreignObject');
                    const lx = at.e + label.x.baseVal.value, ly = at.f + label.y.baseVal.value;
                    gx0 = Math.min(gx0, lx); gy0 = Math.min(gy0, ly);
                    gx1 = Math.max(gx1, lx + label.width.baseVal.value);
                    gy1 = Math.max(gy1, ly + label.height.baseVal.value);
                  }
                  const gx = gx0, gy = gy0, gw = gx1 - gx0, gh = gy1 - gy0;
                  const w = r.width - 60, h = r.height - 80; // clear of the zoom slider and the list's handle
                  const s = Math.min(w / gw, h / gh, 1);
                  const x = (w - gw * s) / 2 - gx * s, y = (h - gh * s) / 2 + 10 - gy * s;
                  zoom.setAttribute('transform', `translate(${x},${y})scale(${s})`);
                  return {scale: s, box: [r.width, r.height], graph: [gw, gh]};
                })()""".formatted(height);
    }

    /** The browser's DevTools WebSocket URL, from the line Chromium prints on stderr when it is ready. */
    private static String devToolsUrl(Process browser) throws IOException {
        BufferedReader err = new BufferedReader(new InputStreamReader(browser.getErrorStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = err.readLine()) != null) {
            Matcher m = DEVTOOLS.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (err.readLine() != null) {
                            // Chromium's own log: not needed once the port is known
                        }
                    } catch (IOException closed) {
                        // the browser is gone
                    }
                }, "chromium-stderr");
                drain.setDaemon(true);
                drain.start();
                return m.group(1);
            }
        }
        throw new IOException("Chromium exited without opening its DevTools port (exit " + browser.exitValue() + ")");
    }

    /** A minimal Chrome DevTools Protocol client on one page target: commands and their results. */
    static final class DevTools implements WebSocket.Listener, AutoCloseable {
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        private final AtomicInteger ids = new AtomicInteger();
        private final StringBuilder message = new StringBuilder();
        private WebSocket socket;

        /** Connects to the browser's first page target. */
        static DevTools connect(HttpClient http, String browserUrl) throws Exception {
            URI browser = URI.create(browserUrl);
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://" + browser.getAuthority() + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode target : targets) {
                if (target.path("type").asText().equals("page")) {
                    DevTools devTools = new DevTools();
                    devTools.socket = http.newWebSocketBuilder()
                            .buildAsync(URI.create(target.path("webSocketDebuggerUrl").asText()), devTools)
                            .get(30, TimeUnit.SECONDS);
                    return devTools;
                }
            }
            throw new IOException("no page target in " + targets);
        }

        JsonNode call(String method, Map<String, ?> params) throws Exception {
            int id = ids.incrementAndGet();
            CompletableFuture<JsonNode> result = new CompletableFuture<>();
            pending.put(id, result);
            ObjectNode request = JSON.createObjectNode().put("id", id).put("method", method);
            request.set("params", JSON.valueToTree(params));
            socket.sendText(JSON.writeValueAsString(request), true).get(30, TimeUnit.SECONDS);
            return result.get(60, TimeUnit.SECONDS);
        }

        /** The value of a JavaScript expression in the page. */
        JsonNode evaluate(String expression) throws Exception {
            JsonNode result = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
            if (result.has("exceptionDetails")) {
                throw new IllegalStateException("script failed in the page: " + result.path("exceptionDetails"));
            }
            return result.path("result").path("value");
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            message.append(data);
            if (last) {
                try {
                    JsonNode reply = JSON.readTree(message.toString());
                    CompletableFuture<JsonNode> waiting = reply.has("id") ? pending.remove(reply.path("id").asInt()) : null;
                    if (waiting != null) {
                        if (reply.has("error")) {
                            waiting.completeExceptionally(new IllegalStateException(reply.path("error").toString()));
                        } else {
                            waiting.complete(reply.path("result"));
                        }
                    }
                } catch (IOException e) {
                    pending.values().forEach(f -> f.completeExceptionally(e));
                }
                message.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            pending.values().forEach(f -> f.completeExceptionally(error));
        }

        @Override
        public void close() {
            socket.abort();
        }
    }
}
