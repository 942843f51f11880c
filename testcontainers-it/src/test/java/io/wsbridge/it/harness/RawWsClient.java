package io.wsbridge.it.harness;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a bare socket, for clients that misbehave on purpose: malformed, unmasked, oversized or
 * binary frames, clients that never answer pings, connections that vanish without a close frame, and upgrade
 * requests with garbage in them. Nothing is automatic: frames are written and read by hand (RFC 6455).
 *
 * <pre>{@code
 * try (RawWsClient raw = RawWsClient.connect("127.0.0.1", port, "/my-app")) {
 *     raw.sendFrame(0x80 | 0x3, new byte[0], true);            // FIN + reserved opcode 3
 *     assertThat(raw.awaitClose(Duration.ofSeconds(10)).code()).isEqualTo(1002);
 * }
 * assertThat(RawWsClient.request("127.0.0.1", port, "GET /%2e%2e HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(400);
 * }</pre>
 */
public final class RawWsClient implements AutoCloseable {

    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final Response handshake;

    private RawWsClient(Socket socket, Response handshake) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.handshake = handshake;
    }

    /** Upgrades {@code pathAndQuery}; fails unless the server answers 101. */
    public static RawWsClient connect(String host, int port, String pathAndQuery) {
        RawWsClient client = attempt(host, port, pathAndQuery, Map.of());
        if (client.handshake.status() != 101) {
            client.close();
            throw new AssertionError("upgrade to " + pathAndQuery + " refused: " + client.handshake.statusLine());
        }
        return client;
    }

    /** As {@link #connect(String, int, String)}, from the local address {@code source} (any of 127.0.0.0/8). */
    public static RawWsClient connectFrom(String source, String host, int port, String pathAndQuery) {
        RawWsClient client = attemptFrom(source, host, port, pathAndQuery, Map.of());
        if (client.handshake.status() != 101) {
            client.close();
            throw new AssertionError("upgrade to " + pathAndQuery + " from " + source + " refused: "
                    + client.handshake.statusLine());
        }
        return client;
    }

    /**
     * As {@link #connect(String, int, String)} with a receive buffer of {@code receiveBufferBytes}: a client that
     * does not read then holds up the server's writes after a few kilobytes.
     */
    public static RawWsClient connect(String host, int port, String pathAndQuery, int receiveBufferBytes) {
        RawWsClient client = attempt(host, port, pathAndQuery, Map.of(), receiveBufferBytes);
        if (client.handshake.status() != 101) {
            client.close();
            throw new AssertionError("upgrade to " + pathAndQuery + " refused: " + client.handshake.statusLine());
        }
        return client;
    }

    /** Sends a well-formed upgrade request with {@code extraHeaders}; the connection stays open whatever the answer. */
    public static RawWsClient attempt(String host, int port, String pathAndQuery, Map<String, String> extraHeaders) {
        return attempt(host, port, pathAndQuery, extraHeaders, 0);
    }

    /**
     * As {@link #attempt(String, int, String, Map)} from the local address {@code source}: any of 127.0.0.0/8, so
     * that the server sees several client addresses.
     */
    public static RawWsClient attemptFrom(String source, String host, int port, String pathAndQuery,
                                          Map<String, String> extraHeaders) {
        return attempt(source, host, port, pathAndQuery, extraHeaders, 0);
    }

    private static RawWsClient attempt(String host, int port, String pathAndQuery, Map<String, String> extraHeaders,
                                       int receiveBufferBytes) {
        return attempt(null, host, port, pathAndQuery, extraHeaders, receiveBufferBytes);
    }

    private static RawWsClient attempt(String source, String host, int port, String pathAndQuery,
                                       Map<String, String> extraHeaders, int receiveBufferBytes) {
        StringBuilder request = new StringBuilder("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append(':').append(port).append("\r\n")
                .append("Upgrade: websocket\r\n")
                .append("Connection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(newKey()).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        extraHeaders.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        request.append("\r\n");
        Socket socket = open(source, host, port, receiveBufferBytes);
        try {
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new RawWsClient(socket, readHead(socket.getInputStream()));
        } catch (IOException e) {
            closeQuietly(socket);
            throw new UncheckedIOException("upgrade request to " + host + ":" + port + " failed", e);
        }
    }

    /**
     * Sends {@code rawRequest} as it is (request line, headers and the blank line included) and reads the response
     * head; the connection is closed afterwards.
     */
    public static Response request(String host, int port, String rawRequest) {
        try (Socket socket = open(null, host, port, 0)) {
            socket.getOutputStream().write(rawRequest.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return readHead(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException("request to " + host + ":" + port + " failed", e);
        }
    }

    /**
     * Sends {@code rawRequest} as it is and reads the whole response, head and body, as text, until the server closes
     * the connection: send {@code Connection: close}.
     */
    public static String exchange(String host, int port, String rawRequest) {
        try (Socket socket = open(null, host, port, 0)) {
            socket.getOutputStream().write(rawRequest.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("request to " + host + ":" + port + " failed", e);
        }
    }

    /** A request for an upgrade of {@code pathAndQuery} with the usual headers and {@code extraHeaderLines}, raw. */
    public static String upgradeRequest(String host, int port, String pathAndQuery, String extraHeaderLines) {
        return "GET " + pathAndQuery + " HTTP/1.1\r\n"
                + "Host: " + host + ":" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + newKey() + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + extraHeaderLines
                + "\r\n";
    }

    public Response handshake() {
        return handshake;
    }

    /** A complete (FIN) masked frame, as a well-behaved client sends it. */
    public void send(int opcode, byte[] payload) {
        sendFrame(0x80 | opcode, payload, true);
    }

    /**
     * One frame exactly as given: {@code firstByte} holds FIN, RSV and the opcode; {@code masked} false sends it
     * unmasked, which a client must never do.
     */
    public void sendFrame(int firstByte, byte[] payload, boolean masked) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write(firstByte);
        int mask = masked ? 0x80 : 0;
        if (payload.length < 126) {
            frame.write(mask | payload.length);
        } else if (payload.length < 65536) {
            frame.write(mask | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(mask | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >> shift) & 0xff);
            }
        }
        byte[] key = new byte[4];
        ThreadLocalRandom.current().nextBytes(key);
        if (masked) {
            frame.write(key, 0, 4);
        }
        for (int i = 0; i < payload.length; i++) {
            frame.write(masked ? payload[i] ^ key[i & 3] : payload[i]);
        }
        try {
            out.write(frame.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot send a frame", e);
        }
    }

    /** The next frame; empty at the end of the stream or when the connection is reset. */
    public Optional<Frame> read(Duration timeout) {
        try {
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            int first = in.readUnsignedByte();
            int second = in.readUnsignedByte();
            long length = second & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            if ((second & 0x80) != 0) {
                throw new AssertionError("the server sent a masked frame");
            }
            byte[] payload = new byte[Math.toIntExact(length)];
            in.readFully(payload);
            return Optional.of(new Frame(first & 0x0f, (first & 0x80) != 0, payload));
        } catch (EOFException | SocketException e) {
            return Optional.empty();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame within " + timeout, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads (and ignores) frames, pings included, until the server's close frame; code -1 if the connection ends
     * without one. Fails if neither happens within {@code timeout}.
     */
    public Close awaitClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("the server did not close the connection within " + timeout);
            }
            Optional<Frame> frame = read(Duration.ofNanos(left));
            if (frame.isEmpty()) {
                return new Close(-1, "connection ended without a close frame");
            }
            if (frame.get().opcode() == CLOSE) {
                return frame.get().close();
            }
        }
    }

    /**
     * Reads the bytes that follow the response head, such as the body of a refused upgrade, until the server ends
     * the connection; fails if it does not within {@code timeout}.
     */
    public String awaitEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("the server did not end the connection within " + timeout);
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int read = in.read(buffer);
                if (read < 0) {
                    return body.toString(StandardCharsets.ISO_8859_1);
                }
                body.write(buffer, 0, read);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not end the connection within " + timeout, e);
        } catch (SocketException e) {
            return body.toString(StandardCharsets.ISO_8859_1); // reset: ended as well
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the TCP connection without a close frame (FIN): a client that went away. */
    @Override
    public void close() {
        closeQuietly(socket);
    }

    /** Resets the TCP connection (RST, no close frame): a client that crashed. */
    public void reset() {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(socket);
    }

    /** One frame from the server. */
    public record Frame(int opcode, boolean fin, byte[] payload) {

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The code and reason of a close frame. */
        public Close close() {
            if (payload.length < 2) {
                return new Close(1005, "");
            }
            return new Close(((payload[0] & 0xff) << 8) | (payload[1] & 0xff),
                    new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8));
        }
    }

    /** A close frame's code and reason. */
    public record Close(int code, String reason) {
        @Override
        public String toString() {
            return code + (reason.isEmpty() ? "" : " " + reason);
        }
    }

    /** An HTTP response head: the status line and the headers (names in lower case). */
    public record Response(String statusLine, Map<String, String> headers) {
        public int status() {
            return Integer.parseInt(statusLine.split(" ", 3)[1]);
        }
    }

    /** A connected socket, from the local address {@code source} unless it is {@code null}. */
    public static Socket open(String source, String host, int port, int receiveBufferBytes) {
        Socket socket = new Socket();
        try {
            if (receiveBufferBytes > 0) {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            if (source != null) {
                socket.bind(new InetSocketAddress(source, 0));
            }
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            return socket;
        } catch (IOException e) {
            closeQuietly(socket);
            throw new UncheckedIOException("cannot connect to " + host + ":" + port, e);
        }
    }

    private static String newKey() {
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    /**
     * Reads a request head, as a server does: the request line (as {@link Response#statusLine()}) and the headers;
     * fails if the connection ends before the blank line.
     */
    public static Response readRequestHead(InputStream in) throws IOException {
        return readHead(in);
    }

    /** Reads up to the blank line that ends a response head; fails if the connection ends before. */
    private static Response readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before a complete response head: "
                        + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        return new Response(lines[0], headers);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
