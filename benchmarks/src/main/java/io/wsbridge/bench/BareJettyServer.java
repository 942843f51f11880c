package io.wsbridge.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.eclipse.jetty.websocket.core.server.WebSocketUpgradeHandler;

/**
 * Baseline (b) of {@code ./bench.sh}: the raw limit of Jetty core WebSocket on this machine. A bare server, in a JVM of
 * its own, that pushes one pre-encoded text frame over and over to its clients, writing them the way the bridge's
 * subscribers do (up to 64 frames with {@code batch=true}, the last one flushing), with no queue, routing or metrics.
 *
 * <p>A client asks for a run with {@code /run?id=<run>&clients=<n>&frames=<per client>&size=<bytes>}; the pushing
 * starts once all {@code n} clients of the run are connected. The fan-out baseline is
 * {@code /fanout?id=<run>&clients=<n>&channels=<c>&channel=<this client's>&rate=<events/s>&seconds=<s>&size=<bytes>}:
 * once all {@code n} clients are connected, one thread makes {@code rate} events a second for {@code seconds}, the
 * channels in turn, each stamped with {@code System.nanoTime()} as the bridge's benchmark events are, and sends each
 * as one frame to the clients of its channel. {@code java ... BareJettyServer <port>} prints
 * {@code listening} when it accepts connections, and runs until killed.
 */
public final class BareJettyServer {

    /** As {@code Subscriber.MAX_BATCH}: frames per network write at most. */
    static final int MAX_BATCH = 64;
    static final int OUTPUT_BUFFER_BYTES = 32 * 1024;

    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    private BareJettyServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("bare-jetty");
        Server server = new Server(threads);
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        BareJettyServer bare = new BareJettyServer();
        WebSocketUpgradeHandler upgrades = new WebSocketUpgradeHandler();
        upgrades.addMapping("/run", bare.new Negotiator());
        upgrades.addMapping("/fanout", bare.new FanoutNegotiator());
        server.setHandler(upgrades);
        server.start();
        System.out.println("listening on 127.0.0.1:" + connector.getLocalPort());
        System.out.flush();
        server.join();
    }

    private final class Negotiator implements WebSocketNegotiator {

        @Override
        public void customize(Configuration configuration) {
            configuration.setIdleTimeout(java.time.Duration.ofMinutes(5));
            // as the bridge (Subscriber.OUTPUT_BUFFER_BYTES): a whole batch in one write
            configuration.setOutputBufferSize(OUTPUT_BUFFER_BYTES);
        }

        @Override
        public FrameHandler negotiate(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
            Fields query = Request.extractQueryParameters(request);
            String id = query.getValue("id");
            int clients = Integer.parseInt(query.getValue("clients"));
            long frames = Long.parseLong(query.getValue("frames"));
            int size = Integer.parseInt(query.getValue("size"));
            if (id == null || clients < 1 || frames < 0 || size < 16) {
                Response.writeError(request, response, callback, 400, "bad run parameters");
                return null;
            }
            Run run = runs.computeIfAbsent(id, key -> new Run(clients, frame(size)));
            return new Pusher(run, frames);
        }
    }

    private final Map<String, FanoutRun> fanouts = new ConcurrentHashMap<>();

    private final class FanoutNegotiator implements WebSocketNegotiator {

        @Override
        public void customize(Configuration configuration) {
            configuration.setIdleTimeout(java.time.Duration.ofMinutes(5));
            configuration.setOutputBufferSize(OUTPUT_BUFFER_BYTES);
        }

        @Override
        public FrameHandler negotiate(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
            Fields query = Request.extractQueryParameters(request);
            try {
                String id = query.getValue("id");
                int clients = Integer.parseInt(query.getValue("clients"));
                int channels = Integer.parseInt(query.getValue("channels"));
                int channel = Integer.parseInt(query.getValue("channel"));
                int rate = Integer.parseInt(query.getValue("rate"));
                int seconds = Integer.parseInt(query.getValue("seconds"));
                int size = Integer.parseInt(query.getValue("size"));
                if (id == null || clients < 1 || channels < 1 || channel < 0 || channel >= channels || rate < 1
                        || seconds < 1 || size < 64) {
                    throw new IllegalArgumentException();
                }
                FanoutRun run = fanouts.computeIfAbsent(id, key -> new FanoutRun(clients, channels, rate, seconds,
                        size));
                return new Listener(run, channel);
            } catch (RuntimeException e) {
                Response.writeError(request, response, callback, 400, "bad fan-out parameters");
                return null;
            }
        }
    }

    /** The clients of one fan-out run, by channel; the pacing starts when the last one is open. */
    private static final class FanoutRun {

        private final int clients;
        private final List<List<CoreSession>> byChannel;
        private final int rate;
        private final int seconds;
        private final int size;
        private int joined;

        FanoutRun(int clients, int channels, int rate, int seconds, int size) {
            this.clients = clients;
            this.byChannel = new ArrayList<>(channels);
            for (int i = 0; i < channels; i++) {
                byChannel.add(new ArrayList<>());
            }
            this.rate = rate;
            this.seconds = seconds;
            this.size = size;
        }

        void join(CoreSession session, int channel) {
            boolean last;
            synchronized (this) {
                byChannel.get(channel).add(session);
                last = ++joined == clients;
            }
            if (last) {
                Thread pacer = new Thread(this::pace, "bare-fanout");
                pacer.setDaemon(true);
                pacer.start();
            }
        }

        private void pace() {
            synchronized (this) {
                // sees every session added
            }
            long start = System.nanoTime();
            long total = (long) rate * seconds;
            long sent = 0;
            while (sent < total) {
                long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L);
                while (sent < due) {
                    byte[] event = event(sent, System.nanoTime(), size);
                    for (CoreSession session : byChannel.get((int) (sent % byChannel.size()))) {
                        session.sendFrame(new Frame(OpCode.TEXT, ByteBuffer.wrap(event).asReadOnlyBuffer()),
                                Callback.NOOP, false);
                    }
                    sent++;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
        }
    }

    /** What every client of the bare server does with what it sends: demands more, answers nothing. */
    private abstract static class Quiet implements FrameHandler {

        volatile CoreSession session;

        @Override
        public void onFrame(Frame frame, Callback callback) {
            callback.succeeded();
            if (frame.getOpCode() != OpCode.CLOSE) {
                session.demand();
            }
        }

        @Override
        public void onError(Throwable cause, Callback callback) {
            callback.succeeded();
        }

        @Override
        public void onClosed(CloseStatus closeStatus, Callback callback) {
            callback.succeeded();
        }
    }

    /** A fan-out client: only keeps its connection open. */
    private static final class Listener extends Quiet {

        private final FanoutRun run;
        private final int channel;

        Listener(FanoutRun run, int channel) {
            this.run = run;
            this.channel = channel;
        }

        @Override
        public void onOpen(CoreSession coreSession, Callback callback) {
            session = coreSession;
            callback.succeeded();
            coreSession.demand();
            run.join(coreSession, channel);
        }
    }

    /** An event's JSON of exactly {@code size} bytes that starts with its send time, as the benchmark's events do. */
    static byte[] event(long seq, long sentNanos, int size) {
        StringBuilder json = new StringBuilder(size).append("{\"ts\":").append(sentNanos).append(",\"seq\":")
                .append(seq).append(",\"pad\":\"");
        while (json.length() < size - 2) {
            json.append('x');
        }
        return json.append("\"}").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A text frame of exactly {@code size} bytes of JSON-looking ASCII, like an event of the bridge. */
    static byte[] frame(int size) {
        String head = "{\"specversion\":\"1.0\",\"id\":\"bare\",\"source\":\"bare-jetty\",\"type\":\"bench\",\"data\":{\"pad\":\"";
        String tail = "\"}}";
        StringBuilder text = new StringBuilder(head);
        while (text.length() < size - tail.length()) {
            text.append((char) ('a' + text.length() % 26));
        }
        text.setLength(Math.max(0, size - tail.length()));
        return text.append(tail).toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The clients of one measurement; all start together. */
    private static final class Run {

        private final int clients;
        private final byte[] frame;
        private final List<Pusher> joined = new ArrayList<>();

        Run(int clients, byte[] frame) {
            this.clients = clients;
            this.frame = frame;
        }

        void join(Pusher pusher) {
            List<Pusher> start = null;
            synchronized (joined) {
                joined.add(pusher);
                if (joined.size() == clients) {
                    start = List.copyOf(joined);
                }
            }
            if (start != null) {
                start.forEach(p -> p.flusher.iterate());
            }
        }
    }

    private static final class Pusher extends Quiet {

        private final Run run;
        private final Flusher flusher = new Flusher();
        private long remaining;

        Pusher(Run run, long frames) {
            this.run = run;
            this.remaining = frames;
        }

        @Override
        public void onOpen(CoreSession coreSession, Callback callback) {
            session = coreSession;
            callback.succeeded();
            coreSession.demand();
            run.join(this);
        }

        /** The bridge's flusher without the queue: up to 64 frames batched, the last one flushes. */
        private final class Flusher extends IteratingCallback {

            @Override
            protected Action process() {
                if (remaining == 0) {
                    return Action.SUCCEEDED;
                }
                CoreSession current = session;
                int count = (int) Math.min(MAX_BATCH, remaining);
                remaining -= count;
                for (int i = 0; i < count - 1; i++) {
                    current.sendFrame(new Frame(OpCode.TEXT, payload()), Callback.NOOP, true);
                }
                current.sendFrame(new Frame(OpCode.TEXT, payload()), this, false);
                return Action.SCHEDULED;
            }

            private ByteBuffer payload() {
                return ByteBuffer.wrap(run.frame).asReadOnlyBuffer();
            }
        }
    }
}
