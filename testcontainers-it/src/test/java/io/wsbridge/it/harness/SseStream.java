package io.wsbridge.it.harness;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Server-Sent Events client made of the JDK's own HTTP client (which undoes the chunked coding) and the parsing
 * rules of the HTML standard: {@code id}, {@code data} (several lines joined with {@code \n}), {@code retry},
 * comments, a message per blank line. What an {@code EventSource} would dispatch is what {@link #next} returns.
 */
public final class SseStream implements AutoCloseable {

    /** A dispatched message: its {@code id} ({@code null} if it had none) and its data. */
    public record Message(String id, String data) {
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final int status;
    private final String body;
    private final HttpResponse<Stream<String>> response;
    private final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    private final List<String> comments = new ArrayList<>();
    private volatile boolean ended;
    private final Thread reader;

    private SseStream(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.status = response.statusCode();
        if (status != 200) {
            this.body = String.join("\n", response.body().toList());
            this.reader = null;
            this.ended = true;
            return;
        }
        this.body = null;
        this.reader = new Thread(this::read, "sse-stream");
        reader.setDaemon(true);
        reader.start();
    }

    /** Sends {@code GET uri} with {@code Accept: text/event-stream} and the headers; returns once the head is in. */
    public static SseStream open(URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET();
        headers.forEach(request::header);
        try {
            return new SseStream(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofLines()));
        } catch (Exception e) {
            throw new IllegalStateException("GET " + uri + " failed", e);
        }
    }

    private void read() {
        String id = null;
        StringBuilder data = null;
        try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isEmpty()) {
                    if (data != null) {
                        messages.add(new Message(id, data.toString()));
                    }
                    id = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    synchronized (comments) {
                        comments.add(line);
                    }
                } else {
                    int colon = line.indexOf(':');
                    String field = colon < 0 ? line : line.substring(0, colon);
                    String value = colon < 0 ? "" : line.substring(colon + 1);
                    value = value.startsWith(" ") ? value.substring(1) : value;
                    if (field.equals("id")) {
                        id = value;
                    } else if (field.equals("data")) {
                        data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    }
                }
            }
        } catch (RuntimeException e) {
            // the connection ended in an error: ended says so
        } finally {
            ended = true;
        }
    }

    public int status() {
        return status;
    }

    /** A header of the answer, if it has it. */
    public Optional<String> header(String name) {
        return response.headers().firstValue(name);
    }

    /** The body of a refusal; {@code null} for a stream. */
    public String body() {
        return body;
    }

    /** The next message, waiting up to {@code wait}; empty if none came (or the stream ended). */
    public Optional<Message> next(Duration wait) {
        try {
            return Optional.ofNullable(messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Whether the server ended the stream (or the connection broke) and every message was taken. */
    public boolean ended() {
        return ended && messages.isEmpty();
    }

    public int comments() {
        synchronized (comments) {
            return comments.size();
        }
    }

    /** Drops the connection, as a client that goes away would. */
    @Override
    public void close() {
        if (response != null && status == 200) {
            response.body().close();
        }
        if (reader != null) {
            reader.interrupt();
        }
    }
}
