package io.wsbridge.it.harness;

import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A WebSocket subscriber for tests, on the JDK's {@link java.net.http.WebSocket}: it collects the text
 * frames it receives and records how the server closed the connection.
 *
 * <pre>{@code
 * try (WsClient ws = WsClient.connect(URI.create("ws://127.0.0.1:8085/my-app"), Map.of())) {
 *     events.sendBinary("events-my-app", Events.event("my-app", "device-1"));
 *     List<String> frames = ws.awaitFrames(1, Duration.ofSeconds(10));
 * }
 * assertThat(WsClient.attempt(uri, Map.of("Authorization", "Bearer nonsense")).status()).isEqualTo(401);
 * }</pre>
 *
 * A client {@link #connect(URI, Map, boolean) that does not read} stops asking for frames, so the
 * server's writes back up in TCP buffers: a slow consumer.
 */
public final class WsClient implements AutoCloseable {

    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(HANDSHAKE_TIMEOUT).build();

    private final Listener listener;
    private final WebSocket socket;

    private WsClient(Listener listener, WebSocket socket) {
        this.listener = listener;
        this.socket = socket;
    }

    /** Opens a reading connection; fails (AssertionError) with the status if the upgrade is refused. */
    public static WsClient connect(URI uri, Map<String, String> headers) {
        return connect(uri, headers, true);
    }

    /** @param reading false: never ask for a frame (a consumer that stalls) */
    public static WsClient connect(URI uri, Map<String, String> headers, boolean reading) {
        Handshake handshake = attempt(uri, headers, reading);
        if (!handshake.isOpen()) {
            throw new AssertionError("WebSocket upgrade to " + uri + " refused with HTTP " + handshake.status());
        }
        return handshake.client();
    }

    /**
     * Connects once the server listens: retries while the connection fails (refused, reset), for
     * servers that were just started; an upgrade refused with an HTTP status fails at once.
     */
    public static WsClient awaitConnect(URI uri, Map<String, String> headers, Duration timeout) {
        AtomicReference<Handshake> handshake = new AtomicReference<>();
        await("WebSocket server at " + uri + " accepting connections")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(250))
                .ignoreException(ConnectionFailed.class)
                .until(() -> {
                    handshake.set(attempt(uri, headers));
                    return true;
                });
        if (!handshake.get().isOpen()) {
            throw new AssertionError("WebSocket upgrade to " + uri + " refused with HTTP " + handshake.get().status());
        }
        return handshake.get().client();
    }

    /** Tries to open a reading connection: the open client, or the status of the refusal. */
    public static Handshake attempt(URI uri, Map<String, String> headers) {
        return attempt(uri, headers, true);
    }

    public static Handshake attempt(URI uri, Map<String, String> headers, boolean reading) {
        return attempt(HTTP, uri, headers, reading);
    }

    /**
     * As above, on {@code http}: a client with its own {@link javax.net.ssl.SSLContext} for {@code wss://}, e.g.
     * {@code HttpClient.newBuilder().sslContext(trusting).build()}.
     */
    public static Handshake attempt(HttpClient http, URI uri, Map<String, String> headers, boolean reading) {
        Listener listener = new Listener(reading);
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(HANDSHAKE_TIMEOUT);
        headers.forEach(builder::header);
        try {
            WebSocket socket = builder.buildAsync(uri, listener).get(HANDSHAKE_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            return new Handshake(new WsClient(listener, socket), 0);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return new Handshake(null, refused.getResponse().statusCode());
            }
            throw new ConnectionFailed("WebSocket connection to " + uri + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no WebSocket handshake with " + uri + " within " + HANDSHAKE_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted connecting to " + uri, e);
        }
    }

    /**
     * Takes the next {@code count} text frames, in order, waiting at most {@code timeout} for all of
     * them; fails with what arrived and how the connection ended otherwise.
     */
    public List<String> awaitFrames(int count, Duration timeout) {
        List<String> frames = new ArrayList<>(count);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (frames.size() < count) {
                String frame = listener.frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (frame == null) {
                    throw new AssertionError("expected " + count + " frames within " + timeout + ", got " + frames.size()
                            + closeStatus().map(status -> "; closed: " + status).orElse("") + "; frames: " + frames);
                }
                frames.add(frame);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return frames;
    }

    /** The next text frame if one arrives within {@code timeout}: to show that nothing comes. */
    public Optional<String> nextFrame(Duration timeout) {
        try {
            return Optional.ofNullable(listener.frames.poll(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Frames received and not taken yet. */
    public int pendingFrames() {
        return listener.frames.size();
    }

    /** Sends a text frame (a {@code RefreshAccessToken} message, garbage for a protocol test). */
    public void send(String text) {
        socket.sendText(text, true).orTimeout(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** A client that did not read starts reading now. */
    public void startReading() {
        listener.startReading(socket);
    }

    /** How the connection ended (a close frame from the server or an error), if it did. */
    public Optional<CloseStatus> closeStatus() {
        return Optional.ofNullable(listener.closed.getNow(null));
    }

    /** Waits until the server closes the connection, and tells how. */
    public CloseStatus awaitClose(Duration timeout) {
        try {
            return listener.closed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the connection was not closed within " + timeout, e);
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Binary frames are not part of the protocol; counted so a test can assert there were none. */
    public int binaryFrames() {
        return listener.binaryFrames.get();
    }

    /** Cuts the TCP connection without a close handshake: a client that vanished. */
    public void abort() {
        socket.abort();
    }

    /** A normal close (1000), waiting briefly for the server's answer; aborts if none comes. */
    @Override
    public void close() {
        if (socket.isOutputClosed() || socket.isInputClosed()) {
            socket.abort();
            return;
        }
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "test done").get(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            listener.closed.get(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // no close answer (a client that never reads does not see it): just drop the connection
        } finally {
            socket.abort();
        }
    }

    /** The outcome of an upgrade request: an open client, or the HTTP status that refused it. */
    public record Handshake(WsClient client, int status) {
        public boolean isOpen() {
            return client != null;
        }
    }

    /** A close frame's code and reason, or code -1 and the error when the connection failed. */
    public record CloseStatus(int code, String reason) {
        @Override
        public String toString() {
            return code + (reason.isEmpty() ? "" : " " + reason);
        }
    }

    /** No WebSocket handshake at all: nothing listens, or the connection broke. */
    public static final class ConnectionFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConnectionFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final class Listener implements WebSocket.Listener {
        private final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        private final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();
        private final AtomicInteger binaryFrames = new AtomicInteger();
        private final StringBuilder partial = new StringBuilder();
        private volatile boolean reading;

        Listener(boolean reading) {
            this.reading = reading;
        }

        void startReading(WebSocket socket) {
            if (!reading) {
                reading = true;
                socket.request(1);
            }
        }

        @Override
        public void onOpen(WebSocket socket) {
            if (reading) {
                socket.request(1);
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket socket, java.nio.ByteBuffer data, boolean last) {
            if (last) {
                binaryFrames.incrementAndGet();
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete(new CloseStatus(statusCode, reason));
            return null; // the JDK then answers with the same close code
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            closed.complete(new CloseStatus(-1, String.valueOf(error)));
        }
    }
}
