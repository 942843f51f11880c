package io.wsbridge.bridge.ws;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A well-behaved client on the JDK's WebSocket: reads everything, answers pings (the JDK does). */
public final class TestClient implements WebSocket.Listener, AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    public final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    public final CompletableFuture<String> closeReason = new CompletableFuture<>();
    private WebSocket webSocket;

    /** Connects, or fails with the refused upgrade's HTTP status in {@link Refused}. */
    public static TestClient connect(URI uri, String... headers) {
        TestClient client = new TestClient();
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        try {
            client.webSocket = builder.buildAsync(uri, client).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException handshake) {
                throw new Refused(handshake.getResponse().statusCode(),
                        handshake.getResponse().headers().firstValue("WWW-Authenticate").orElse(null));
            }
            throw e;
        }
        return client;
    }

    /**
     * A WebSocket client on a plain socket that upgrades and then reads nothing, with a small receive buffer: the
     * bridge's writes to it stall once the connection's buffers are full.
     */
    public static Socket stalled(int port, String path) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("upgrade answered with " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            throw new AssertionError("upgrade refused: " + head);
        }
        return socket;
    }

    /** The status of a refused upgrade. */
    public static int refusal(URI uri, String... headers) {
        try {
            connect(uri, headers).close();
        } catch (Refused refused) {
            return refused.status;
        }
        throw new AssertionError("upgrade to " + uri + " was accepted");
    }

    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        public final int status;
        public final String wwwAuthenticate;

        Refused(int status, String wwwAuthenticate) {
            super("upgrade refused with " + status);
            this.status = status;
            this.wwwAuthenticate = wwwAuthenticate;
        }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeCode.complete(statusCode);
        closeReason.complete(reason);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closeCode.completeExceptionally(error);
        closeReason.completeExceptionally(error);
    }

    /** Waits for the next n messages. */
    public List<String> take(int n, Duration timeout) throws InterruptedException {
        List<String> taken = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (taken.size() < n) {
            String message = messages.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (message == null) {
                throw new AssertionError("received " + taken.size() + " of " + n + " messages within " + timeout);
            }
            taken.add(message);
        }
        return taken;
    }

    /** Messages received so far and not yet taken. */
    public List<String> drain() {
        List<String> drained = new ArrayList<>();
        messages.drainTo(drained);
        return drained;
    }

    public void send(String text) {
        webSocket.sendText(text, true).join();
    }

    public boolean isOpen() {
        return !webSocket.isInputClosed();
    }

    @Override
    public void close() {
        if (webSocket != null && !webSocket.isOutputClosed()) {
            webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        if (webSocket != null) {
            webSocket.abort();
        }
    }
}
