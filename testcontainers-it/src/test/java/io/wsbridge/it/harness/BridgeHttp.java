package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plain HTTP endpoints of a bridge, as a Prometheus scraper and a Kubernetes probe see them: on its operations
 * listener ({@code ops.port}) {@code /metrics} and the detailed {@code /healthz} and {@code /readyz}; on its public
 * WebSocket port the bare probes only.
 *
 * <pre>{@code
 * BridgeHttp ops = new BridgeHttp(URI.create("http://127.0.0.1:" + opsPort));
 * assertThat(ops.get("/readyz").status()).isEqualTo(200);
 * assertThat(ops.metrics().value("wsbridge_events_in_total", "application", "my-app")).isEqualTo(3.0);
 * }</pre>
 */
public final class BridgeHttp {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final URI baseUrl;

    public BridgeHttp(URI baseUrl) {
        this.baseUrl = baseUrl;
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** {@code GET path}; a refused connection throws {@link UncheckedIOException}. */
    public Response get(String path) {
        HttpRequest request = HttpRequest.newBuilder(baseUrl.resolve(path)).timeout(Duration.ofSeconds(10)).GET()
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                    response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: GET " + request.uri(), e);
        }
    }

    /** {@code GET /metrics}, parsed; fails unless it answers 200. */
    public Scrape metrics() {
        Response response = get("/metrics");
        if (response.status() != 200) {
            throw new AssertionError("GET /metrics answered " + response.status() + ": " + response.body());
        }
        return Scrape.parse(response.body());
    }

    public record Response(int status, String contentType, String body) {
    }

    /** One sample of the Prometheus text format: a name, its labels, a value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** A Prometheus text exposition, parsed into samples. */
    public record Scrape(List<Sample> samples, String text) {

        private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        static Scrape parse(String text) {
            List<Sample> samples = new ArrayList<>();
            for (String line : text.lines().toList()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                Matcher sample = SAMPLE.matcher(line);
                if (!sample.find()) {
                    throw new AssertionError("not a Prometheus sample: " + line);
                }
                Map<String, String> labels = new LinkedHashMap<>();
                if (sample.group(2) != null) {
                    Matcher label = LABEL.matcher(sample.group(2));
                    while (label.find()) {
                        labels.put(label.group(1), label.group(2));
                    }
                }
                samples.add(new Sample(sample.group(1), Map.copyOf(labels), Double.parseDouble(sample.group(3))));
            }
            return new Scrape(List.copyOf(samples), text);
        }

        /**
         * The sum of the samples named {@code name} whose labels include {@code labels} (name, value, name,
         * value...); empty if there is none, as for a counter that has not been created yet.
         */
        public OptionalDouble find(String name, String... labels) {
            Map<String, String> wanted = new LinkedHashMap<>();
            for (int i = 0; i + 1 < labels.length; i += 2) {
                wanted.put(labels[i], labels[i + 1]);
            }
            List<Sample> matching = samples.stream().filter(sample -> sample.name().equals(name))
                    .filter(sample -> sample.labels().entrySet().containsAll(wanted.entrySet())).toList();
            return matching.isEmpty() ? OptionalDouble.empty()
                    : OptionalDouble.of(matching.stream().mapToDouble(Sample::value).sum());
        }

        /** As {@link #find}, with 0 for a sample that is not there. */
        public double value(String name, String... labels) {
            return find(name, labels).orElse(0);
        }
    }
}
