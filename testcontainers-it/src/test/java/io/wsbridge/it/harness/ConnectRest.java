package io.wsbridge.it.harness;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A small client of the Kafka Connect REST API, as an operator uses it. Errors (status 400 and up)
 * throw {@link ConnectRestException} carrying Connect's message; a 409 caused by a rebalance in
 * progress is retried for a while, as Connect asks clients to.
 */
public final class ConnectRest {

    /** Long enough for the first task of a connector to start on a cold worker. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(60);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration REBALANCE_RETRY = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final URI baseUrl;

    public ConnectRest(URI baseUrl) {
        this.baseUrl = baseUrl;
    }

    public URI baseUrl() {
        return baseUrl;
    }

    // ---- plugins

    /** {@code GET /connector-plugins}: the connector plugins the worker found. */
    public List<Plugin> plugins() {
        return plugins("/connector-plugins");
    }

    /** Connectors, converters, transformations and predicates ({@code ?connectorsOnly=false}). */
    public List<Plugin> allPlugins() {
        return plugins("/connector-plugins?connectorsOnly=false");
    }

    private List<Plugin> plugins(String path) {
        List<Plugin> plugins = new ArrayList<>();
        for (JsonNode plugin : send("GET", path, null)) {
            plugins.add(new Plugin(plugin.path("class").asText(), plugin.path("type").asText(), plugin.path("version").asText()));
        }
        return plugins;
    }

    /**
     * {@code PUT /connector-plugins/{class}/config/validate}: what Connect, and the connector's
     * {@code validate()}, say about {@code config}. {@code connector.class} and a {@code name} are added
     * if missing, so that the only errors are those of the config under test.
     */
    public Validation validate(String pluginClass, Map<String, String> config) {
        Map<String, String> body = new LinkedHashMap<>(config);
        body.putIfAbsent("connector.class", pluginClass);
        body.putIfAbsent("name", "validation");
        JsonNode answer = send("PUT", "/connector-plugins/" + segment(pluginClass) + "/config/validate", body);
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (JsonNode entry : answer.path("configs")) {
            JsonNode value = entry.path("value");
            List<String> messages = new ArrayList<>();
            value.path("errors").forEach(message -> messages.add(message.asText()));
            if (!messages.isEmpty()) {
                errors.put(value.path("name").asText(), messages);
            }
        }
        return new Validation(answer.path("error_count").asInt(), errors);
    }

    // ---- connectors

    public List<String> connectors() {
        List<String> names = new ArrayList<>();
        send("GET", "/connectors", null).forEach(name -> names.add(name.asText()));
        return names;
    }

    /** {@code POST /connectors}. */
    public void createConnector(String name, Map<String, String> config) {
        send("POST", "/connectors", Map.of("name", name, "config", config));
    }

    /** {@code PUT /connectors/{name}/config}: creates or reconfigures. */
    public void putConfig(String name, Map<String, String> config) {
        send("PUT", connector(name) + "/config", config);
    }

    public Map<String, String> config(String name) {
        Map<String, String> config = new LinkedHashMap<>();
        send("GET", connector(name) + "/config", null).properties()
                .forEach(field -> config.put(field.getKey(), field.getValue().asText()));
        return config;
    }

    /** {@code DELETE /connectors/{name}}; false if there was no such connector. */
    public boolean delete(String name) {
        try {
            send("DELETE", connector(name), null);
            return true;
        } catch (ConnectRestException e) {
            if (e.status() == 404) {
                return false;
            }
            throw e;
        }
    }

    public void pause(String name) {
        send("PUT", connector(name) + "/pause", null);
    }

    public void resume(String name) {
        send("PUT", connector(name) + "/resume", null);
    }

    /**
     * {@code PUT /connectors/{name}/stop} (Connect 3.5+): the connector goes STOPPED and its tasks are shut down,
     * unlike {@link #pause}, which leaves them running without records; {@link #resume} starts them again.
     */
    public void stop(String name) {
        send("PUT", connector(name) + "/stop", null);
    }

    public void restartTask(String name, int task) {
        send("POST", connector(name) + "/tasks/" + task + "/restart", null);
    }

    /** {@code POST /connectors/{name}/restart?includeTasks=true}: the connector and all its tasks. */
    public void restartConnectorAndTasks(String name) {
        send("POST", connector(name) + "/restart?includeTasks=true", null);
    }

    /** {@code GET /connectors/{name}/status}. */
    public ConnectorStatus status(String name) {
        return findStatus(name).orElseThrow(() -> new ConnectRestException(404, "no connector " + name));
    }

    /** The status, or empty while Connect does not know the connector (yet). */
    public Optional<ConnectorStatus> findStatus(String name) {
        JsonNode answer;
        try {
            answer = send("GET", connector(name) + "/status", null);
        } catch (ConnectRestException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
        List<TaskStatus> tasks = new ArrayList<>();
        for (JsonNode task : answer.path("tasks")) {
            tasks.add(new TaskStatus(task.path("id").asInt(), task.path("state").asText(),
                    task.path("worker_id").asText(), textOrNull(task.path("trace"))));
        }
        JsonNode connector = answer.path("connector");
        return Optional.of(new ConnectorStatus(answer.path("name").asText(), connector.path("state").asText(),
                connector.path("worker_id").asText(), textOrNull(connector.path("trace")), List.copyOf(tasks)));
    }

    /**
     * Waits until the connector and exactly {@code tasks} tasks are RUNNING. Fails at once, with the
     * stack traces Connect reports, when the connector or a task FAILED: they do not recover alone.
     */
    public ConnectorStatus awaitRunning(String name, int tasks) {
        return awaitStatus(name, DEFAULT_WAIT, "RUNNING with " + tasks + " RUNNING tasks", status -> {
            if (status.hasFailure()) {
                throw new IllegalStateException("connector " + name + " failed: " + status.describe());
            }
            return status.isRunning(tasks);
        });
    }

    /** Waits until the status of {@code name} matches, and returns that status. */
    public ConnectorStatus awaitStatus(String name, Duration timeout, String description,
                                       Predicate<ConnectorStatus> condition) {
        AtomicReference<ConnectorStatus> last = new AtomicReference<>();
        await("connector " + name + " " + description)
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    Optional<ConnectorStatus> status = findStatus(name);
                    status.ifPresent(last::set);
                    return status.isPresent() && condition.test(status.get());
                });
        return last.get();
    }

    // ---- records

    public record Plugin(String className, String type, String version) {
    }

    public record TaskStatus(int id, String state, String workerId, String trace) {
    }

    /** {@code trace} is Connect's stack trace of a FAILED connector or task, else null. */
    public record ConnectorStatus(String name, String state, String workerId, String trace, List<TaskStatus> tasks) {

        public boolean isRunning(int taskCount) {
            return "RUNNING".equals(state) && tasks.size() == taskCount
                    && tasks.stream().allMatch(task -> "RUNNING".equals(task.state()));
        }

        public boolean hasFailure() {
            return "FAILED".equals(state) || tasks.stream().anyMatch(task -> "FAILED".equals(task.state()));
        }

        public Optional<TaskStatus> task(int id) {
            return tasks.stream().filter(task -> task.id() == id).findFirst();
        }

        /** A readable summary with the traces, for failure messages. */
        public String describe() {
            StringBuilder text = new StringBuilder("connector ").append(state).append(" on ").append(workerId);
            if (trace != null) {
                text.append("\n").append(trace);
            }
            for (TaskStatus task : tasks) {
                text.append("\ntask ").append(task.id()).append(' ').append(task.state()).append(" on ").append(task.workerId());
                if (task.trace() != null) {
                    text.append("\n").append(task.trace());
                }
            }
            return text.toString();
        }
    }

    /** The answer of a validation: Connect's error count and the messages per config key. */
    public record Validation(int errorCount, Map<String, List<String>> errors) {

        public List<String> errorsFor(String key) {
            return errors.getOrDefault(key, List.of());
        }

        @Override
        public String toString() {
            return errorCount + " error(s): " + errors.entrySet().stream()
                    .map(entry -> entry.getKey() + " " + entry.getValue()).collect(Collectors.joining(", "));
        }
    }

    // ---- HTTP

    private JsonNode send(String method, String path, Object body) {
        AtomicReference<JsonNode> answer = new AtomicReference<>();
        await(method + " " + path + " (retried while Connect rebalances)")
                .atMost(REBALANCE_RETRY)
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(500))
                .ignoreException(RebalanceInProgress.class)
                .until(() -> {
                    answer.set(sendOnce(method, path, body));
                    return true;
                });
        return answer.get();
    }

    private JsonNode sendOnce(String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(baseUrl.resolve(path))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = response.body().isBlank() ? JSON.nullNode() : parse(response.body());
        if (response.statusCode() >= 400) {
            String message = json.path("message").asText(response.body());
            if (response.statusCode() == 409 && !message.contains("already exists")) {
                throw new RebalanceInProgress(message);
            }
            throw new ConnectRestException(response.statusCode(), method + " " + path + ": " + message);
        }
        return json;
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            // Jetty's own error pages are HTML; keep the text as the message.
            return JSON.createObjectNode().put("message", body);
        }
    }

    private static String connector(String name) {
        return "/connectors/" + segment(name);
    }

    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String textOrNull(JsonNode node) {
        return node.isMissingNode() || node.isNull() ? null : node.asText();
    }

    /** Status 400 and up from the Connect REST API. */
    public static final class ConnectRestException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        public ConnectRestException(int status, String message) {
            super("HTTP " + status + ": " + message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private static final class RebalanceInProgress extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RebalanceInProgress(String message) {
            super(message);
        }
    }
}
