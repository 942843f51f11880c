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
 * starts once all {@code n} clients of the run are connected. {@code java ... BareJettyServer <port>} prints
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

    private static final class Pusher implements FrameHandler {

        private final Run run;
        private final Flusher flusher = new Flusher();
        private long remaining;
        private volatile CoreSession session;

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
