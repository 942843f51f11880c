package io.wsbridge.bridge.ws;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * A Server-Sent Events client on a plain socket, for tests: sends one GET, reads the head, then (de-chunked and, if
 * the answer says so, gunzipped) parses the stream as the HTML standard says, one {@link Message} per blank line,
 * and keeps comments apart. Written here so that tests see the bytes the bridge sends, not what a library makes of
 * them.
 */
final class SseClient implements AutoCloseable {

    /** One dispatched message: its {@code id} field if it had one, and its data lines joined with {@code \n}. */
    record Message(String id, String data) {
    }

    final Socket socket;
    final int status;
    final Map<String, String> headers;
    /** The body of a refusal (read whole), or {@code null} for a stream. */
    final String body;
    final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
    final List<String> retries = new ArrayList<>();
    volatile boolean ended;
    private final Thread reader;

    private SseClient(Socket socket, int status, Map<String, String> headers, String body, InputStream stream) {
        this.socket = socket;
        this.status = status;
        this.headers = headers;
        this.body = body;
        if (stream == null) {
            reader = null;
            ended = true;
            return;
        }
        reader = new Thread(() -> read(stream), "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens {@code pathAndQuery} with {@code Accept: text/event-stream} and the extra headers (name, value...). */
    static SseClient open(int port, String pathAndQuery, String... extraHeaders) throws IOException {
        return read(request(new Socket("127.0.0.1", port), pathAndQuery, extraHeaders));
    }

    /**
     * Sends the request of {@link #open} on {@code socket} (connected, or connected here to {@code port}) and reads
     * nothing: {@link #read} starts reading the answer when the test wants.
     */
    static Socket request(Socket socket, String pathAndQuery, String... extraHeaders) throws IOException {
        int port = socket.getPort();
        socket.setSoTimeout(20_000);
        StringBuilder request = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nAccept: text/event-stream\r\n");
        for (int i = 0; i + 1 < extraHeaders.length; i += 2) {
            request.append(extraHeaders[i]).append(": ").append(extraHeaders[i + 1]).append("\r\n");
        }
        socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** Reads the answer to the request sent on {@code socket}: its head now, its messages from now on. */
    static SseClient read(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        String statusLine = line(in);
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            headers.merge(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1)
                    .trim(), (a, b) -> a + ", " + b);
        }
        InputStream body = "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? new Dechunked(in)
                : headers.containsKey("content-length")
                        ? new ByteArrayInputStream(in.readNBytes(Integer.parseInt(headers.get("content-length"))))
                        : in;
        if (status != 200) {
            return new SseClient(socket, status, headers, new String(body.readAllBytes(), StandardCharsets.UTF_8),
                    null);
        }
        if ("gzip".equalsIgnoreCase(headers.get("content-encoding"))) {
            // GZIPInputStream says bytes are available until it ends, and a reader that believes it waits for more
            // than the message it has: say nothing is, as a socket's stream would when it has nothing buffered
            body = new FilterInputStream(new GZIPInputStream(body, 64)) {
                @Override
                public int available() {
                    return 0;
                }
            };
        }
        return new SseClient(socket, status, headers, null, body);
    }

    private void read(InputStream stream) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String id = null;
            StringBuilder data = null;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty()) {
                    if (data != null) {
                        messages.add(new Message(id, data.toString()));
                    }
                    id = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                } else {
                    int colon = line.indexOf(':');
                    String field = colon < 0 ? line : line.substring(0, colon);
                    String value = colon < 0 ? "" : line.substring(colon + 1);
                    if (value.startsWith(" ")) {
                        value = value.substring(1);
                    }
                    switch (field) {
                        case "id" -> id = value;
                        case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                        case "retry" -> retries.add(value);
                        default -> throw new IllegalStateException("unexpected field: " + line);
                    }
                }
            }
        } catch (IOException e) {
            // the stream ended with an error: ended tells
        } finally {
            ended = true;
        }
    }

    Message take(Duration wait) throws InterruptedException {
        Message message = messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (message == null) {
            throw new AssertionError("no message within " + wait + "; ended: " + ended);
        }
        return message;
    }

    List<Message> take(int count, Duration wait) throws InterruptedException {
        List<Message> taken = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            taken.add(take(wait));
        }
        return taken;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the connection ended in the answer's head");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /** HTTP/1.1 chunked transfer coding, undone. */
    private static final class Dechunked extends InputStream {
        private final InputStream in;
        private int left;
        private boolean done;

        Dechunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                if (size.isEmpty()) {
                    size = line(in); // the CRLF after the previous chunk
                }
                left = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (left == 0) {
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, Math.min(len, left));
            if (n < 0) {
                throw new IOException("the connection ended in a chunk");
            }
            left -= n;
            return n;
        }
    }
}
