package io.wsbridge.it.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Server-Sent Events clients for the benchmark, the counterpart of {@link WsLoad}: a thread per client on a plain
 * socket (a hundred clients, not ten thousand), reading the chunked stream in 64 KB reads and counting the
 * {@code data:} lines at the start of a line, one per event, without decoding them. Cheap enough that the server, not
 * the load, sets the pace.
 */
final class SseLoad implements AutoCloseable {

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

    private final List<Client> clients = new ArrayList<>();
    private final LongAdder messages = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();

    /** Starts a client that asks for {@code pathAndQuery} as an event stream, from {@code localHost}. */
    void connect(InetSocketAddress server, String localHost, String pathAndQuery) {
        Client client = new Client(server, localHost, pathAndQuery);
        clients.add(client);
        client.start();
    }

    int opened() {
        return opened.get();
    }

    int failed() {
        return failed.get();
    }

    /** Events received over all clients ({@code data:} lines). */
    long messages() {
        return messages.sum();
    }

    /** Bytes of the streams received (after the chunked coding), heads not included. */
    long bytes() {
        return bytes.sum();
    }

    @Override
    public void close() {
        for (Client client : clients) {
            client.close();
        }
    }

    private final class Client extends Thread {

        private final InetSocketAddress server;
        private final String localHost;
        private final String pathAndQuery;
        private final Socket socket = new Socket();
        /** How much of "data: " the current line has matched so far; -1 once the line is something else. */
        private int matched;

        Client(InetSocketAddress server, String localHost, String pathAndQuery) {
            super("sse-load");
            setDaemon(true);
            this.server = server;
            this.localHost = localHost;
            this.pathAndQuery = pathAndQuery;
        }

        @Override
        public void run() {
            try {
                if (localHost != null) {
                    socket.bind(new InetSocketAddress(localHost, 0));
                }
                socket.setReceiveBufferSize(256 * 1024);
                socket.connect(server, 10_000);
                socket.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: "
                        + server.getHostString() + ":" + server.getPort() + "\r\nAccept: text/event-stream\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
                String status = line(in);
                if (!status.startsWith("HTTP/1.1 200")) {
                    failed.incrementAndGet();
                    return;
                }
                boolean chunked = false;
                for (String header = line(in); !header.isEmpty(); header = line(in)) {
                    chunked |= header.toLowerCase().startsWith("transfer-encoding:") && header.contains("chunked");
                }
                opened.incrementAndGet();
                byte[] buffer = new byte[64 * 1024];
                while (true) {
                    int size = chunked ? chunkSize(in) : Integer.MAX_VALUE;
                    if (size == 0) {
                        return;
                    }
                    while (size > 0) {
                        int read = in.read(buffer, 0, Math.min(buffer.length, size));
                        if (read < 0) {
                            return;
                        }
                        count(buffer, read);
                        size -= chunked ? read : 0;
                    }
                }
            } catch (IOException e) {
                // the stream ended (closed by the run, or by the server)
            }
        }

        private void count(byte[] buffer, int length) {
            bytes.add(length);
            long found = 0;
            for (int i = 0; i < length; i++) {
                byte b = buffer[i];
                if (b == '\n') {
                    matched = 0;
                } else if (matched >= 0) {
                    if (b == DATA[matched]) {
                        matched++;
                        if (matched == DATA.length) {
                            found++;
                            matched = -1;
                        }
                    } else {
                        matched = -1;
                    }
                }
            }
            messages.add(found);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    /** The size of the next chunk: its line, after the CRLF that ends the chunk before it. */
    private static int chunkSize(InputStream in) throws IOException {
        String line = line(in);
        if (line.isEmpty()) {
            line = line(in);
        }
        return Integer.parseInt(line.split(";")[0].trim(), 16);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the stream ended");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }
}
