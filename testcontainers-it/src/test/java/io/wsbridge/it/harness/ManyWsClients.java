package io.wsbridge.it.harness;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thousands of WebSocket subscribers on one selector thread: cheap enough that the client is not what a load test
 * measures. Each connection upgrades, answers pings, counts the text frames it receives and checks that the ids of
 * the test's events ({@code <prefix><sequence number>}) arrive without gap and in order; frames with other ids are
 * counted apart.
 *
 * <pre>{@code
 * try (ManyWsClients clients = ManyWsClients.open("127.0.0.1", port, "/my-app", 1000, List.of("127.0.0.1"), "ev-")) {
 *     clients.awaitOpen(Duration.ofSeconds(60));
 *     ... produce events ev-0 .. ev-99 ...
 *     clients.awaitEveryConnectionReceived(100, Duration.ofSeconds(60));
 *     clients.dropAll(true); // no close frame: RST
 * }
 * }</pre>
 *
 * The connections are spread over {@code sourceHosts} (loopback addresses such as 127.0.0.2) so that ephemeral ports
 * do not run out.
 */
public final class ManyWsClients implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManyWsClients.class);
    /** Handshakes in flight at once: enough to be quick, few enough not to overflow the server's accept queue. */
    private static final int MAX_CONNECTING = 200;
    private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};
    private static final byte[] ID_FIELD = "\"id\":\"".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress server;
    /** The request target of each connection, by index. */
    private final IntFunction<String> targets;
    /** What the connections ask for, without a query (which may hold credentials), for messages. */
    private final String pathAndQuery;
    private final List<String> sourceHosts;
    private final byte[] idPrefix;
    private final Connection[] connections;
    private final Selector selector;
    private final Thread loop;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);
    private final byte[] work = new byte[256 * 1024];

    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private final AtomicLong frames = new AtomicLong();
    private final AtomicLong otherFrames = new AtomicLong();
    private final AtomicLong sequenceErrors = new AtomicLong();
    private final AtomicReference<String> firstProblem = new AtomicReference<>();
    private final Map<Integer, AtomicInteger> closeCodes = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private int started;
    private int connecting;

    private ManyWsClients(InetSocketAddress server, IntFunction<String> targets, int count, List<String> sourceHosts,
                          String idPrefix) throws IOException {
        this.server = server;
        this.targets = targets;
        String first = count == 0 ? "" : targets.apply(0);
        this.pathAndQuery = first.contains("?") ? first.substring(0, first.indexOf('?')) + "?..." : first;
        this.sourceHosts = List.copyOf(sourceHosts);
        this.idPrefix = idPrefix.getBytes(StandardCharsets.UTF_8);
        this.connections = new Connection[count];
        this.selector = Selector.open();
        this.loop = new Thread(this::run, "many-ws-clients");
        this.loop.setDaemon(true);
    }

    /**
     * Starts opening {@code count} connections to {@code ws://host:port/pathAndQuery}; see {@link #awaitOpen}.
     *
     * @param idPrefix the ids of the test's events: the prefix, then 0, 1, 2...
     */
    public static ManyWsClients open(String host, int port, String pathAndQuery, int count, List<String> sourceHosts,
                                     String idPrefix) {
        return open(host, port, index -> pathAndQuery, count, sourceHosts, idPrefix);
    }

    /**
     * As above, each connection with a request target of its own ({@code targets} gets its index), e.g. a token of its
     * own in the query.
     */
    public static ManyWsClients open(String host, int port, IntFunction<String> targets, int count,
                                     List<String> sourceHosts, String idPrefix) {
        try {
            ManyWsClients clients = new ManyWsClients(new InetSocketAddress(host, port), targets, count,
                    sourceHosts, idPrefix);
            clients.loop.start();
            return clients;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until every connection is upgraded; fails with the tally if any was refused or failed. */
    public ManyWsClients awaitOpen(Duration timeout) {
        await(connections.length + " WebSocket connections to " + server + pathAndQuery)
                .atMost(timeout).pollInterval(Duration.ofMillis(100))
                .failFast("a connection was refused or failed: " + this, () -> refused.get() + failed.get() > 0)
                .until(() -> opened.get() == connections.length);
        return this;
    }

    /** Waits until every connection has received {@code count} of the test's events; fails at once if one ended. */
    public void awaitEveryConnectionReceived(long count, Duration timeout) {
        await("every one of " + connections.length + " connections receiving " + count + " events")
                .atMost(timeout).pollInterval(Duration.ofMillis(200))
                .failFast("a connection ended: " + this, () -> ended.get() > 0)
                .until(() -> minReceived() >= count);
    }

    /**
     * Waits until every connection that has not ended has received {@code count} of the test's events (connections
     * that ended are the caller's to check, with {@link #closeCode}).
     */
    public void awaitEveryOpenConnectionReceived(long count, Duration timeout) {
        await("every open one of " + connections.length + " connections receiving " + count + " events")
                .atMost(timeout).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    for (Connection connection : connections) {
                        if (connection == null || !connection.finished && connection.received < count) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /**
     * How connection {@code index} ended: the code of the server's close frame, -1 if it ended without one (or failed),
     * 0 while it is open.
     */
    public int closeCode(int index) {
        Connection connection = connections[index];
        return connection == null ? 0 : connection.closeCode;
    }

    /**
     * Sends one text message on every open connection at once ({@code messages} gets the connection's index), e.g. a
     * token refresh; returns how many were sent.
     */
    public int sendText(IntFunction<String> messages) {
        AtomicInteger sent = new AtomicInteger();
        runOnLoop(() -> {
            for (Connection connection : connections) {
                if (connection != null && connection.upgraded && !connection.finished) {
                    connection.sendData(0x1, messages.apply(connection.index).getBytes(StandardCharsets.UTF_8));
                    sent.incrementAndGet();
                }
            }
        });
        return sent.get();
    }

    /** Events of the test received by the connection that received the fewest. */
    public long minReceived() {
        long min = Long.MAX_VALUE;
        for (Connection connection : connections) {
            min = Math.min(min, connection == null ? 0 : connection.received);
        }
        return min;
    }

    public long maxReceived() {
        long max = 0;
        for (Connection connection : connections) {
            max = Math.max(max, connection == null ? 0 : connection.received);
        }
        return max;
    }

    /** Text frames received over all connections, the test's events and others. */
    public long frames() {
        return frames.get();
    }

    /** Frames whose id is not one of the test's events. */
    public long otherFrames() {
        return otherFrames.get();
    }

    /** Events that arrived out of order, twice, or after a gap; 0 when every connection got every event in order. */
    public long sequenceErrors() {
        return sequenceErrors.get();
    }

    /** Connections that ended (closed by the server or cut) while the test had not dropped them. */
    public int ended() {
        return ended.get();
    }

    /** Close codes of close frames the server sent, with their counts. */
    public Map<Integer, Integer> closeCodes() {
        Map<Integer, Integer> codes = new TreeMap<>();
        closeCodes.forEach((code, count) -> codes.put(code, count.get()));
        return codes;
    }

    /** The first thing that went wrong, if anything did. */
    public String firstProblem() {
        return firstProblem.get();
    }

    /**
     * Drops every connection without a close frame and waits until they are closed on this side: with a FIN
     * ({@code reset} false) or an RST ({@code reset} true).
     */
    public void dropAll(boolean reset) {
        runOnLoop(() -> {
            for (Connection connection : connections) {
                if (connection != null) {
                    connection.drop(reset);
                }
            }
        });
    }

    /** Drops every other connection with an RST and the rest with a FIN. */
    public void dropAllMixed() {
        runOnLoop(() -> {
            for (int i = 0; i < connections.length; i++) {
                if (connections[i] != null) {
                    connections[i].drop(i % 2 == 0);
                }
            }
        });
    }

    /** Sends a close frame (1000) on every connection; the server's answer closes them. */
    public void closeAll() {
        runOnLoop(() -> {
            for (Connection connection : connections) {
                if (connection != null && connection.upgraded && connection.channel.isOpen()) {
                    connection.sendControl(0x8, new byte[] {0x03, (byte) 0xE8});
                    connection.droppedByTest = true;
                }
            }
        });
    }

    /** Stops the selector thread and closes every connection that is still open (FIN). */
    @Override
    public void close() {
        if (running) {
            dropAll(false);
            running = false;
            selector.wakeup();
            try {
                loop.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.debug("closing the selector", e);
        }
    }

    @Override
    public String toString() {
        return "ManyWsClients[" + server + pathAndQuery + ": " + opened.get() + "/" + connections.length + " open, "
                + refused.get() + " refused, " + failed.get() + " failed, " + ended.get() + " ended, frames " + frames.get()
                + " (" + otherFrames.get() + " other), received per connection " + minReceived() + ".." + maxReceived()
                + ", sequence errors " + sequenceErrors.get() + ", close codes " + closeCodes()
                + (firstProblem.get() == null ? "" : ", first problem: " + firstProblem.get()) + "]";
    }

    private void runOnLoop(Runnable command) {
        if (!loop.isAlive()) {
            command.run();
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        commands.add(() -> {
            try {
                command.run();
            } finally {
                done.countDown();
            }
        });
        selector.wakeup();
        try {
            if (!done.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the client loop did not run a command: " + this);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (running) {
                startConnections();
                selector.select(100);
                for (Runnable command; (command = commands.poll()) != null; ) {
                    command.run();
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    Connection connection = (Connection) key.attachment();
                    try {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            connection.finishConnect();
                        } else if (key.isReadable()) {
                            connection.read();
                        }
                    } catch (IOException | RuntimeException e) {
                        connection.fail(e);
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | RuntimeException e) {
            problem("client loop failed: " + e);
            LOG.error("client loop failed", e);
        } finally {
            for (Connection connection : connections) {
                if (connection != null) {
                    connection.closeChannel();
                }
            }
        }
    }

    private void startConnections() {
        while (connecting < MAX_CONNECTING && started < connections.length) {
            int index = started++;
            Connection connection = new Connection(index);
            connections[index] = connection;
            try {
                connection.start(sourceHosts.get(index % sourceHosts.size()));
                connecting++;
            } catch (IOException e) {
                connection.fail(e);
            }
        }
    }

    private void problem(String what) {
        if (firstProblem.compareAndSet(null, what)) {
            LOG.warn("{}", what);
        }
    }

    private final class Connection {

        private final int index;
        private SocketChannel channel;
        private SelectionKey key;
        private boolean upgraded;
        private boolean finished;
        private boolean droppedByTest;
        /** Bytes of a frame (or of the response head) not complete yet. */
        private byte[] tail = new byte[0];
        private volatile long received;
        private long nextSequence;
        /** See {@link ManyWsClients#closeCode(int)}. */
        private volatile int closeCode;

        Connection(int index) {
            this.index = index;
        }

        void start(String sourceHost) throws IOException {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.bind(new InetSocketAddress(sourceHost, 0));
            if (channel.connect(server)) {
                key = channel.register(selector, 0, this);
                sendRequest();
            } else {
                key = channel.register(selector, SelectionKey.OP_CONNECT, this);
            }
        }

        void finishConnect() throws IOException {
            channel.finishConnect();
            sendRequest();
        }

        private void sendRequest() throws IOException {
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            String request = "GET " + targets.apply(index) + " HTTP/1.1\r\n"
                    + "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
                    + "Upgrade: websocket\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n";
            writeFully(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            key.interestOps(SelectionKey.OP_READ);
        }

        void read() throws IOException {
            readBuffer.clear();
            int read = channel.read(readBuffer);
            if (read < 0) {
                if (upgraded) {
                    end("the server closed the connection without a close frame");
                } else {
                    fail(new IOException("connection closed during the handshake"));
                }
                return;
            }
            readBuffer.flip();
            int length = tail.length + readBuffer.remaining();
            byte[] data = length <= work.length ? work : new byte[length];
            System.arraycopy(tail, 0, data, 0, tail.length);
            readBuffer.get(data, tail.length, readBuffer.remaining());
            int consumed = upgraded ? frames(data, length) : head(data, length);
            if (consumed < 0) {
                return; // closed
            }
            tail = consumed == length ? new byte[0] : Arrays.copyOfRange(data, consumed, length);
        }

        /** Parses the response head; returns the bytes consumed, or -1 if the connection was closed. */
        private int head(byte[] data, int length) throws IOException {
            int end = indexOf(data, 0, length, HEAD_END);
            if (end < 0) {
                return 0;
            }
            String head = new String(data, 0, end, StandardCharsets.ISO_8859_1);
            connecting--;
            if (!head.startsWith("HTTP/1.1 101")) {
                refused.incrementAndGet();
                problem("connection " + index + " refused: " + head.lines().findFirst().orElse(head));
                closeChannel();
                return -1;
            }
            upgraded = true;
            opened.incrementAndGet();
            return frames(data, length, end + HEAD_END.length);
        }

        private int frames(byte[] data, int length) throws IOException {
            return frames(data, length, 0);
        }

        /** Handles the complete frames from {@code offset}; returns the bytes consumed, or -1 if closed. */
        private int frames(byte[] data, int length, int offset) throws IOException {
            int position = offset;
            while (length - position >= 2) {
                int first = data[position] & 0xff;
                int second = data[position + 1] & 0xff;
                int header = 2;
                long payload = second & 0x7f;
                if (payload == 126) {
                    if (length - position < 4) {
                        break;
                    }
                    payload = ((data[position + 2] & 0xff) << 8) | (data[position + 3] & 0xff);
                    header = 4;
                } else if (payload == 127) {
                    if (length - position < 10) {
                        break;
                    }
                    payload = 0;
                    for (int i = 2; i < 10; i++) {
                        payload = (payload << 8) | (data[position + i] & 0xff);
                    }
                    header = 10;
                }
                if (length - position - header < payload) {
                    break;
                }
                int start = position + header;
                int size = (int) payload;
                position = start + size;
                switch (first & 0x0f) {
                    case 0x1 -> text(data, start, size);
                    case 0x9 -> sendControl(0xA, Arrays.copyOfRange(data, start, start + size));
                    case 0x8 -> {
                        int code = size >= 2 ? ((data[start] & 0xff) << 8) | (data[start + 1] & 0xff) : 1005;
                        closeCodes.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
                        closeCode = code;
                        end("the server closed the connection with " + code + " "
                                + new String(data, start + Math.min(2, size), Math.max(0, size - 2), StandardCharsets.UTF_8));
                        return -1;
                    }
                    default -> {
                        // pong, or a fragment: the bridge sends neither
                    }
                }
            }
            return position;
        }

        private void text(byte[] data, int start, int size) {
            frames.incrementAndGet();
            int id = indexOf(data, start, start + size, ID_FIELD);
            if (id < 0 || !startsWith(data, id + ID_FIELD.length, start + size, idPrefix)) {
                otherFrames.incrementAndGet();
                return;
            }
            long sequence = 0;
            int digits = 0;
            for (int i = id + ID_FIELD.length + idPrefix.length; i < start + size && data[i] >= '0' && data[i] <= '9'; i++) {
                sequence = sequence * 10 + (data[i] - '0');
                digits++;
            }
            if (digits == 0 || sequence != nextSequence) {
                sequenceErrors.incrementAndGet();
                problem("connection " + index + " expected event " + nextSequence + ", got "
                        + (digits == 0 ? "no sequence number" : Long.toString(sequence)));
            }
            nextSequence = sequence + 1;
            received++;
        }

        void sendControl(int opcode, byte[] payload) {
            ByteBuffer frame = ByteBuffer.allocate(6 + payload.length);
            frame.put((byte) (0x80 | opcode)).put((byte) (0x80 | payload.length));
            byte[] mask = new byte[4];
            ThreadLocalRandom.current().nextBytes(mask);
            frame.put(mask);
            for (int i = 0; i < payload.length; i++) {
                frame.put((byte) (payload[i] ^ mask[i & 3]));
            }
            frame.flip();
            try {
                writeFully(frame);
            } catch (IOException e) {
                fail(e);
            }
        }

        /** A masked data frame of any length (the client side of RFC 6455). */
        void sendData(int opcode, byte[] payload) {
            int header = payload.length < 126 ? 2 : payload.length < 65536 ? 4 : 10;
            ByteBuffer frame = ByteBuffer.allocate(header + 4 + payload.length);
            frame.put((byte) (0x80 | opcode));
            if (header == 2) {
                frame.put((byte) (0x80 | payload.length));
            } else if (header == 4) {
                frame.put((byte) (0x80 | 126)).putShort((short) payload.length);
            } else {
                frame.put((byte) (0x80 | 127)).putLong(payload.length);
            }
            byte[] mask = new byte[4];
            ThreadLocalRandom.current().nextBytes(mask);
            frame.put(mask);
            for (int i = 0; i < payload.length; i++) {
                frame.put((byte) (payload[i] ^ mask[i & 3]));
            }
            frame.flip();
            try {
                writeFully(frame);
            } catch (IOException e) {
                fail(e);
            }
        }

        private void writeFully(ByteBuffer buffer) throws IOException {
            for (int attempt = 0; buffer.hasRemaining(); attempt++) {
                if (channel.write(buffer) == 0 && attempt > 1000) {
                    throw new IOException("the socket takes no more bytes");
                }
            }
        }

        void drop(boolean reset) {
            if (finished) {
                return;
            }
            droppedByTest = true;
            finished = true;
            try {
                if (reset && channel.isOpen()) {
                    channel.setOption(StandardSocketOptions.SO_LINGER, 0);
                }
            } catch (IOException e) {
                // closing anyway
            }
            closeChannel();
        }

        void end(String why) {
            if (!finished) {
                finished = true;
                if (closeCode == 0) {
                    closeCode = -1;
                }
                if (!droppedByTest) {
                    ended.incrementAndGet();
                    problem("connection " + index + ": " + why);
                }
            }
            closeChannel();
        }

        void fail(Exception e) {
            if (!upgraded && !finished) {
                connecting--;
                failed.incrementAndGet();
                finished = true;
                problem("connection " + index + " failed: " + e);
                closeChannel();
            } else {
                end("I/O error: " + e);
            }
        }

        void closeChannel() {
            if (key != null) {
                key.cancel();
            }
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // closed anyway
                }
            }
        }
    }

    private static int indexOf(byte[] data, int from, int to, byte[] wanted) {
        outer:
        for (int i = from; i <= to - wanted.length; i++) {
            for (int k = 0; k < wanted.length; k++) {
                if (data[i + k] != wanted[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static boolean startsWith(byte[] data, int from, int to, byte[] prefix) {
        if (to - from < prefix.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (data[from + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }
}
