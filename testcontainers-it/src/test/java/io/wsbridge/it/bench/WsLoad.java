package io.wsbridge.it.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * WebSocket clients cheap enough not to be the bottleneck of a benchmark: raw NIO, a few selector threads for any
 * number of connections, no per-frame allocation. A client only counts the frames it receives and, when asked,
 * reads the producer's timestamp ({@code "ts":<System.nanoTime()>}) out of each frame to record the latency. It
 * answers pings, so that idle connections stay open.
 *
 * <p>Not a general client: no extensions, no fragmented messages from the server beyond counting them as one, no
 * validation of the handshake beyond its status line.
 */
final class WsLoad implements AutoCloseable {

    private static final byte[] TS_MARKER = "\"ts\":".getBytes(StandardCharsets.US_ASCII);
    private static final int OP_CONTINUATION = 0x0;
    private static final int OP_TEXT = 0x1;
    private static final int OP_BINARY = 0x2;
    private static final int OP_CLOSE = 0x8;
    private static final int OP_PING = 0x9;

    private final Reactor[] reactors;
    private final AtomicInteger nextReactor = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger closedByServer = new AtomicInteger();
    private final List<Conn> connections = new ArrayList<>();
    /** What counts as a late frame in {@link #lateFrames()}: 100 ms. */
    static final long LATE_MICROS = 100_000;
    private volatile long recordingSince;

    /**
     * @param threads selector threads
     * @param latencySamplesPerThread capacity for latency samples per thread; 0 to only count frames
     */
    WsLoad(int threads, int latencySamplesPerThread) throws IOException {
        reactors = new Reactor[threads];
        for (int i = 0; i < threads; i++) {
            reactors[i] = new Reactor("ws-load-" + i, latencySamplesPerThread);
            reactors[i].start();
        }
    }

    /** Starts connecting; {@link #opened()} and {@link #failed()} tell how it went. */
    Conn connect(InetSocketAddress server, String localHost, String pathAndQuery) {
        Conn conn = new Conn(server, localHost, pathAndQuery);
        synchronized (connections) {
            connections.add(conn);
        }
        Reactor reactor = reactors[Math.floorMod(nextReactor.getAndIncrement(), reactors.length)];
        reactor.pending.add(conn);
        reactor.selector.wakeup();
        return conn;
    }

    int opened() {
        return opened.get();
    }

    int failed() {
        return failed.get();
    }

    /** Connections the server closed (with a close frame or by dropping them) after the upgrade. */
    int closedByServer() {
        return closedByServer.get();
    }

    /** Frames received by every connection so far. */
    long frames() {
        long total = 0;
        for (Reactor reactor : reactors) {
            total += reactor.frames;
        }
        return total;
    }

    long bytes() {
        long total = 0;
        for (Reactor reactor : reactors) {
            total += reactor.bytes;
        }
        return total;
    }

    /** Records latencies from now on (frames that carry a timestamp). */
    void recordLatency(boolean on) {
        if (on) {
            recordingSince = System.nanoTime();
        }
        for (Reactor reactor : reactors) {
            reactor.recording = on;
        }
    }

    /** The recorded latencies in microseconds, unsorted. */
    long[] latenciesMicros() {
        int total = 0;
        for (Reactor reactor : reactors) {
            total += reactor.samples;
        }
        long[] all = new long[total];
        int at = 0;
        for (Reactor reactor : reactors) {
            for (int i = 0; i < reactor.samples; i++) {
                all[at++] = reactor.latencies[i];
            }
        }
        return all;
    }

    /** Latency samples that did not fit the arrays. */
    long latencyOverflow() {
        long total = 0;
        for (Reactor reactor : reactors) {
            total += reactor.overflow;
        }
        return total;
    }

    /**
     * Where the late frames (over 100 ms) were: how many connections had any, and the seconds of the recording in
     * which any arrived, with their count. Tells a stall of everyone from a few slow connections.
     */
    String lateFrames() {
        int connectionsLate;
        synchronized (connections) {
            connectionsLate = (int) connections.stream().filter(c -> c.late > 0).count();
        }
        StringBuilder seconds = new StringBuilder();
        int[] total = new int[reactors[0].lateBySecond.length];
        for (Reactor reactor : reactors) {
            for (int i = 0; i < total.length; i++) {
                total[i] += reactor.lateBySecond[i];
            }
        }
        for (int i = 0; i < total.length; i++) {
            if (total[i] > 0) {
                seconds.append(seconds.length() == 0 ? "" : ", ").append(i).append("s:").append(total[i]);
            }
        }
        return connectionsLate + " of " + connections.size() + " connections had frames over 100 ms; by second of"
                + " the recording: " + (seconds.length() == 0 ? "none" : seconds);
    }

    /** The frames each connection received, in the order they were opened. */
    long[] framesPerConnection() {
        synchronized (connections) {
            return connections.stream().mapToLong(c -> c.frames).toArray();
        }
    }

    /** The close codes servers sent, or -1 for a dropped connection, of connections closed by the server. */
    List<Integer> closeCodes() {
        synchronized (connections) {
            return connections.stream().filter(c -> c.closeCode != 0).map(c -> c.closeCode).toList();
        }
    }

    /** Closes every connection and stops the threads. */
    @Override
    public void close() {
        for (Reactor reactor : reactors) {
            reactor.running = false;
            reactor.selector.wakeup();
        }
        for (Reactor reactor : reactors) {
            try {
                reactor.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One client connection; its fields belong to its reactor thread. */
    static final class Conn {

        final InetSocketAddress server;
        final String localHost;
        final String path;
        SocketChannel channel;
        ByteBuffer handshake;
        boolean upgraded;
        /** The upgrade response as it arrives; dropped once upgraded (100,000 clients would hold 100 MB of it). */
        byte[] response = new byte[1024];
        int responseLength;
        // frame parser
        final byte[] header = new byte[14];
        int headerLength;
        boolean inPayload;
        long payloadRemaining;
        int opcode;
        boolean fin;
        boolean collect;
        byte[] payload = new byte[128];
        int payloadLength;
        volatile long frames;
        volatile int closeCode;
        volatile int status;
        /** Frames of this connection later than {@link #LATE_MICROS}. */
        volatile int late;

        Conn(InetSocketAddress server, String localHost, String path) {
            this.server = server;
            this.localHost = localHost;
            this.path = path;
        }
    }

    private final class Reactor extends Thread {

        final Selector selector;
        final ConcurrentLinkedQueue<Conn> pending = new ConcurrentLinkedQueue<>();
        final ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);
        final byte[] chunk = new byte[256 * 1024];
        final ByteBuffer pong = ByteBuffer.allocate(256);
        final long[] latencies;
        /** Frames later than {@link #LATE_MICROS}, by second since recording started. */
        final int[] lateBySecond = new int[3600];
        volatile boolean running = true;
        volatile boolean recording;
        volatile long frames;
        volatile long bytes;
        volatile int samples;
        volatile long overflow;

        Reactor(String name, int latencyCapacity) throws IOException {
            super(name);
            setDaemon(true);
            this.selector = Selector.open();
            this.latencies = new long[latencyCapacity];
        }

        @Override
        public void run() {
            try {
                while (running) {
                    selector.select(100);
                    Conn added;
                    while ((added = pending.poll()) != null) {
                        open(added);
                    }
                    var keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        Conn conn = (Conn) key.attachment();
                        try {
                            if (!key.isValid()) {
                                continue;
                            }
                            if (key.isConnectable()) {
                                finishConnect(key, conn);
                            } else if (key.isWritable()) {
                                writeHandshake(key, conn);
                            } else if (key.isReadable()) {
                                read(key, conn);
                            }
                        } catch (IOException | RuntimeException e) {
                            end(key, conn, -1);
                        }
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } finally {
                for (SelectionKey key : selector.keys()) {
                    closeQuietly(key);
                }
                try {
                    selector.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }

        private void open(Conn conn) {
            try {
                SocketChannel channel = SocketChannel.open();
                conn.channel = channel;
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (conn.localHost != null) {
                    channel.bind(new InetSocketAddress(conn.localHost, 0));
                }
                String request = "GET " + conn.path + " HTTP/1.1\r\nHost: " + conn.server.getHostString() + ":"
                        + conn.server.getPort() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
                conn.handshake = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
                if (channel.connect(conn.server)) {
                    writeHandshake(channel.register(selector, SelectionKey.OP_WRITE, conn), conn);
                } else {
                    channel.register(selector, SelectionKey.OP_CONNECT, conn);
                }
            } catch (IOException | RuntimeException e) {
                failed.incrementAndGet();
                conn.status = -1;
                if (conn.channel != null) {
                    try {
                        conn.channel.close();
                    } catch (IOException ignored) {
                        // failed anyway
                    }
                }
            }
        }

        private void finishConnect(SelectionKey key, Conn conn) throws IOException {
            if (conn.channel.finishConnect()) {
                key.interestOps(SelectionKey.OP_WRITE);
                writeHandshake(key, conn);
            }
        }

        private void writeHandshake(SelectionKey key, Conn conn) throws IOException {
            conn.channel.write(conn.handshake);
            if (!conn.handshake.hasRemaining()) {
                conn.handshake = null;
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        private void read(SelectionKey key, Conn conn) throws IOException {
            readBuffer.clear();
            int n = conn.channel.read(readBuffer);
            if (n < 0) {
                end(key, conn, conn.closeCode == 0 ? -1 : conn.closeCode);
                return;
            }
            readBuffer.flip();
            readBuffer.get(chunk, 0, n);
            int at = 0;
            if (!conn.upgraded) {
                at = readResponse(key, conn, n);
                if (at < 0) {
                    return;
                }
            }
            long before = conn.frames;
            parse(key, conn, at, n);
            long received = conn.frames - before;
            if (received > 0) {
                frames += received;
            }
            bytes += n - at;
        }

        /** @return where the frames start in {@link #chunk}, or -1 if the response is not complete yet or failed */
        private int readResponse(SelectionKey key, Conn conn, int n) {
            for (int i = 0; i < n; i++) {
                if (conn.responseLength == conn.response.length) {
                    conn.status = -2;
                    failed.incrementAndGet();
                    closeQuietly(key);
                    return -1;
                }
                conn.response[conn.responseLength++] = chunk[i];
                int len = conn.responseLength;
                if (len >= 4 && conn.response[len - 4] == '\r' && conn.response[len - 3] == '\n'
                        && conn.response[len - 2] == '\r' && conn.response[len - 1] == '\n') {
                    String statusLine = new String(conn.response, 0, Math.min(len, 12), StandardCharsets.US_ASCII);
                    int status = Integer.parseInt(statusLine.substring(9, 12));
                    conn.status = status;
                    if (status != 101) {
                        failed.incrementAndGet();
                        closeQuietly(key);
                        return -1;
                    }
                    conn.upgraded = true;
                    conn.response = null;
                    opened.incrementAndGet();
                    return i + 1;
                }
            }
            return -1;
        }

        private void parse(SelectionKey key, Conn conn, int from, int to) throws IOException {
            int at = from;
            while (at < to) {
                if (!conn.inPayload) {
                    conn.header[conn.headerLength++] = chunk[at++];
                    if (conn.headerLength < 2) {
                        continue;
                    }
                    int length7 = conn.header[1] & 0x7f;
                    int needed = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0)
                            + ((conn.header[1] & 0x80) != 0 ? 4 : 0);
                    if (conn.headerLength < needed) {
                        continue;
                    }
                    long length = length7;
                    if (length7 == 126) {
                        length = ((conn.header[2] & 0xff) << 8) | (conn.header[3] & 0xff);
                    } else if (length7 == 127) {
                        length = 0;
                        for (int i = 2; i < 10; i++) {
                            length = (length << 8) | (conn.header[i] & 0xff);
                        }
                    }
                    conn.fin = (conn.header[0] & 0x80) != 0;
                    conn.opcode = conn.header[0] & 0x0f;
                    conn.headerLength = 0;
                    conn.payloadRemaining = length;
                    conn.payloadLength = 0;
                    conn.collect = conn.opcode >= OP_CLOSE || recording && conn.opcode <= OP_TEXT;
                    conn.inPayload = true;
                } else {
                    int take = (int) Math.min(to - at, conn.payloadRemaining);
                    if (conn.collect) {
                        if (conn.payloadLength + take > conn.payload.length) {
                            conn.payload = Arrays.copyOf(conn.payload,
                                    Math.max(conn.payload.length * 2, conn.payloadLength + take));
                        }
                        System.arraycopy(chunk, at, conn.payload, conn.payloadLength, take);
                        conn.payloadLength += take;
                    }
                    at += take;
                    conn.payloadRemaining -= take;
                }
                if (conn.inPayload && conn.payloadRemaining == 0) {
                    conn.inPayload = false;
                    frameComplete(key, conn);
                }
            }
        }

        private void frameComplete(SelectionKey key, Conn conn) throws IOException {
            switch (conn.opcode) {
                case OP_TEXT, OP_BINARY, OP_CONTINUATION -> {
                    if (conn.fin) {
                        conn.frames++;
                        if (conn.collect) {
                            if (recordLatency(conn.payload, conn.payloadLength) > LATE_MICROS) {
                                conn.late++;
                            }
                        }
                    }
                }
                case OP_PING -> sendPong(conn);
                case OP_CLOSE -> {
                    int code = conn.payloadLength >= 2
                            ? ((conn.payload[0] & 0xff) << 8) | (conn.payload[1] & 0xff) : 1005;
                    end(key, conn, code);
                }
                default -> {
                    // pong: nothing to do
                }
            }
        }

        /** @return the frame's latency in microseconds, or -1 if it carries no time stamp */
        private long recordLatency(byte[] payload, int length) {
            int at = indexOf(payload, length);
            if (at < 0) {
                return -1;
            }
            long sent = 0;
            for (int i = at + TS_MARKER.length; i < length; i++) {
                int digit = payload[i] - '0';
                if (digit < 0 || digit > 9) {
                    break;
                }
                sent = sent * 10 + digit;
            }
            long now = System.nanoTime();
            long micros = (now - sent) / 1000;
            int index = samples;
            if (index < latencies.length) {
                latencies[index] = micros;
                samples = index + 1;
            } else {
                overflow++;
            }
            if (micros > LATE_MICROS) {
                long second = (now - recordingSince) / 1_000_000_000L;
                if (second >= 0 && second < lateBySecond.length) {
                    lateBySecond[(int) second]++;
                }
            }
            return micros;
        }

        private int indexOf(byte[] payload, int length) {
            outer:
            for (int i = 0; i + TS_MARKER.length <= length; i++) {
                for (int j = 0; j < TS_MARKER.length; j++) {
                    if (payload[i + j] != TS_MARKER[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        /** A masked pong with the ping's payload (the mask is zero: legal, and the payload stays as it is). */
        private void sendPong(Conn conn) throws IOException {
            int length = Math.min(conn.payloadLength, 125);
            pong.clear();
            pong.put((byte) 0x8A).put((byte) (0x80 | length)).putInt(0).put(conn.payload, 0, length).flip();
            for (int attempt = 0; attempt < 100 && pong.hasRemaining(); attempt++) {
                conn.channel.write(pong);
            }
        }

        private void end(SelectionKey key, Conn conn, int code) {
            if (conn.upgraded && conn.closeCode == 0) {
                conn.closeCode = code;
                closedByServer.incrementAndGet();
            } else if (!conn.upgraded && conn.status == 0) {
                conn.status = -1;
                failed.incrementAndGet();
            }
            closeQuietly(key);
        }

        private void closeQuietly(SelectionKey key) {
            key.cancel();
            try {
                key.channel().close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
