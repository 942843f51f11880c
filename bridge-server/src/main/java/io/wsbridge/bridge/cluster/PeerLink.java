package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.route.Subscription;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.Frames;
import io.wsbridge.bridge.settings.ClusterSettings;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Utf8StringBuilder;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.client.CoreClientUpgradeRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This bridge's link to one peer that consumes events: a WebSocket client connection that carries this bridge's
 * interest to the peer ({@link InterestWriter}) and the events the peer forwards back, which go to local subscribers
 * only. It is used only once the peer's answer to the upgrade proved that it holds the cluster secret
 * ({@link PeerAuth}). It reconnects with exponential backoff (100 ms up to {@link ClusterSettings#reconnectBackoffMax()},
 * with jitter) until closed.
 *
 * <p>Over 300 lines because the link and its current connection are one state machine under one lock (linking, the
 * proof check, interest, forwarded events, failure and backoff); the connection's frame handling reads the link's
 * state directly, and a class of its own would have to expose all of it.
 */
final class PeerLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);
    private static final long FIRST_BACKOFF_MILLIS = 100;

    private final ClusterNode node;
    private final PeerAddress address;
    private final String name;
    private final BridgeMetrics.PeerMeters meters;
    private final Object lock = new Object();
    private Connection current;
    private long backoffMillis = FIRST_BACKOFF_MILLIS;
    private boolean closed;
    private volatile boolean up;
    private volatile long downSinceNanos;
    private volatile String lastFailure = "not linked yet";
    /** Syncs sent and not answered yet, by id; guarded by {@code lock}. */
    private final TreeMap<Long, CompletableFuture<Void>> syncs = new TreeMap<>();
    private long nextSyncId;

    PeerLink(ClusterNode node, PeerAddress address) {
        this.node = node;
        this.address = address;
        this.name = address.toString();
        this.meters = node.metrics().peer(name);
        this.downSinceNanos = node.nanoTime();
        node.metrics().peerLink(name, () -> up ? 1 : 0);
    }

    PeerAddress address() {
        return address;
    }

    boolean isUp() {
        return up;
    }

    /** {@link System#nanoTime()} since when the link has been down (or since it was created). */
    long downSinceNanos() {
        return downSinceNanos;
    }

    String lastFailure() {
        return lastFailure;
    }

    void start() {
        connect();
    }

    private void connect() {
        Connection connection;
        synchronized (lock) {
            if (closed) {
                return;
            }
            connection = new Connection(new LinkHandshake(node.auth(), node.name(), name));
            current = connection;
        }
        URI uri = address.peerUri(node.scheme(), node.name());
        try {
            CoreClientUpgradeRequest request = CoreClientUpgradeRequest.from(node.client(), uri, connection);
            connection.handshake.sign(request);
            request.timeout(10, TimeUnit.SECONDS);
            Configuration.ConfigurationCustomizer configuration = new Configuration.ConfigurationCustomizer();
            configuration.setMaxFrameSize(PeerProtocol.MAX_FRAME_BYTES);
            configuration.setMaxBinaryMessageSize(PeerProtocol.MAX_EVENT_BYTES + 1024 * 1024);
            configuration.setMaxTextMessageSize(PeerProtocol.MAX_INTEREST_BYTES);
            // This side pings every ping interval; a peer that answers nothing for the pong timeout is gone.
            configuration.setIdleTimeout(node.settings().pongTimeout());
            request.setConfiguration(configuration);
            node.client().connect(request).whenComplete((session, failure) -> {
                if (failure != null) {
                    failed(connection, failure);
                }
            });
        } catch (Exception e) {
            failed(connection, e);
        }
    }

    private void failed(Connection connection, Throwable failure) {
        String reason = LinkHandshake.describe(failure);
        if (!reason.equals(lastFailure)) {
            log.info("Cannot link to peer {}: {}; retrying", name, reason);
        } else {
            log.debug("Cannot link to peer {}: {}", name, reason);
        }
        lastFailure = reason;
        retry(connection);
    }

    private void retry(Connection connection) {
        long delay;
        synchronized (lock) {
            if (closed || current != connection) {
                return;
            }
            delay = backoffMillis + ThreadLocalRandom.current().nextLong(backoffMillis / 5 + 1);
            backoffMillis = Math.min(backoffMillis * 2, node.cluster().reconnectBackoffMax().toMillis());
        }
        node.schedule(this::connect, Duration.ofMillis(delay));
    }

    /**
     * Sends a snapshot of {@code entries} (which the caller must not change afterwards) in bounded parts, or what
     * changed since the last message in bounded deltas (once a snapshot went out), if the link is open. Called on the
     * node's single cluster thread, in order: snapshots when the link opens and when the peer asks for one.
     */
    void sendInterest(Map<InterestEntry, Integer> entries, boolean snapshot) {
        Connection connection;
        synchronized (lock) {
            connection = current;
        }
        CoreSession session = connection == null ? null : connection.session;
        if (session != null && up) {
            connection.interest.write(session, entries, snapshot);
            connection.interestSent = true;
        }
    }

    /**
     * Asks the peer to tell when it has applied every interest message sent so far ({@link InterestCodec.Sync}); called
     * on the node's cluster thread, after the interest it must cover was sent. The answer completes the future; the
     * link going down fails it.
     */
    CompletableFuture<Void> sync() {
        CompletableFuture<Void> answered = new CompletableFuture<>();
        Connection connection;
        long id;
        synchronized (lock) {
            connection = current;
            id = nextSyncId++;
            if (connection != null && connection.session != null && up && connection.interestSent) {
                syncs.put(id, answered);
            }
        }
        if (!syncs(id)) {
            answered.completeExceptionally(new IllegalStateException("no link to peer " + name + " ("
                    + lastFailure + ")"));
            return answered;
        }
        connection.session.sendFrame(new Frame(OpCode.TEXT, InterestCodec.sync(id)), Callback.NOOP, false);
        return answered;
    }

    private boolean syncs(long id) {
        synchronized (lock) {
            return syncs.containsKey(id);
        }
    }

    /**
     * The peer applied everything sent before the sync with {@code id} (and so before every earlier sync), and handed
     * over the group places taken meanwhile (in {@code places} messages before this answer).
     */
    private void synced(long id) {
        List<CompletableFuture<Void>> done;
        synchronized (lock) {
            Map<Long, CompletableFuture<Void>> head = syncs.headMap(id, true);
            done = List.copyOf(head.values());
            head.clear();
        }
        done.forEach(future -> future.complete(null));
    }

    private void failSyncs(String reason) {
        List<CompletableFuture<Void>> failed;
        synchronized (lock) {
            failed = List.copyOf(syncs.values());
            syncs.clear();
        }
        IllegalStateException cause = new IllegalStateException("link to peer " + name + " lost: " + reason);
        failed.forEach(future -> future.completeExceptionally(cause));
    }

    /** Pings the peer; the idle timeout (the pong timeout) closes a link that stops answering. */
    void ping() {
        Connection connection;
        synchronized (lock) {
            connection = current;
        }
        CoreSession session = connection == null ? null : connection.session;
        if (session != null && up) {
            session.sendFrame(new Frame(OpCode.PING), Callback.NOOP, false);
        }
    }

    /**
     * Tells the peer how many of the messages it forwarded on this connection are done with here, if that grew
     * ({@link DeliveryAcks}); on the cluster thread, every {@link ClusterNode#ACK_INTERVAL} and around each interest
     * message.
     */
    void acknowledge() {
        Connection connection = currentConnection();
        CoreSession session = connection == null ? null : connection.session;
        DeliveryAcks acks = connection == null ? null : connection.acks;
        if (session != null && up && acks != null) {
            long done = acks.tick();
            if (done >= 0) {
                session.sendFrame(new Frame(OpCode.TEXT, InterestCodec.acked(done)), Callback.NOOP, false);
            }
        }
    }

    /**
     * This bridge's interest went out on the link, computed after {@code inRouter} were the local group members
     * ({@link DeliveryAcks#interestSent}).
     */
    void interestSent(Set<Subscription> inRouter) {
        Connection connection = currentConnection();
        DeliveryAcks acks = connection == null ? null : connection.acks;
        if (acks != null) {
            acks.interestSent(inRouter);
        }
    }

    private Connection currentConnection() {
        synchronized (lock) {
            return current;
        }
    }

    /** Stops linking: the peer no longer consumes events, or the bridge stops. */
    @Override
    public void close() {
        Connection connection;
        synchronized (lock) {
            closed = true;
            connection = current;
            current = null;
        }
        up = false;
        failSyncs("the link is closed");
        node.metrics().removePeerLink(name);
        CoreSession session = connection == null ? null : connection.session;
        if (session != null) {
            session.close(CloseCodes.GOING_AWAY, "peer link no longer needed", Callback.NOOP);
        }
    }

    @Override
    public String toString() {
        return "PeerLink[" + name + (up ? " up" : " down: " + lastFailure) + "]";
    }

    /**
     * The peer answered the upgrade without proving that it holds the cluster secret: whatever answers at its
     * address is not a bridge of this cluster (a dead worker's address taken over, or an older wsbridge version).
     * The link is closed before any frame is read from it, and retried as after any failed attempt.
     */
    private void unproven(Connection connection, CoreSession session, String problem) {
        String reason = "the peer did not prove that it holds cluster.secret: " + problem;
        if (!reason.equals(lastFailure)) {
            log.warn("Refusing the link to peer {}: {}; whatever answers there is not a bridge of this cluster (or "
                    + "runs an older wsbridge version); no event from it is accepted; retrying", name, problem);
        } else {
            log.debug("Refusing the link to peer {}: {}", name, problem);
        }
        lastFailure = reason;
        session.close(CloseCodes.POLICY_VIOLATION, "no proof of the cluster secret", Callback.NOOP);
        retry(connection);
    }

    /** One connection attempt and, once open, the connection; a later attempt gets a new one. */
    private final class Connection implements FrameHandler {

        private final ForwardCodec.Decoder decoder = new ForwardCodec.Decoder(PeerProtocol.MAX_EVENT_BYTES);
        private final LinkHandshake handshake;
        private final InterestWriter interest = new InterestWriter(name, node.metrics().peerInterest(name));
        private volatile CoreSession session;
        /** A text message arriving in several frames, and whether one is under way (its continuations are text). */
        private final Utf8StringBuilder text = new Utf8StringBuilder();
        private boolean textInProgress;
        /** Whether this connection carried an interest snapshot: before it, a sync would prove nothing. */
        private volatile boolean interestSent;
        /** What this connection acknowledges, if the peer asked for acknowledgements. */
        private volatile DeliveryAcks acks;

        private Connection(LinkHandshake handshake) {
            this.handshake = handshake;
        }

        private boolean isCurrent() {
            synchronized (lock) {
                return current == this;
            }
        }

        @Override
        public void onOpen(CoreSession coreSession, Callback callback) {
            this.session = coreSession;
            callback.succeeded();
            if (!isCurrent()) {
                coreSession.close(CloseCodes.GOING_AWAY, "peer link no longer needed", Callback.NOOP);
                return;
            }
            String problem = handshake.unproven();
            if (problem != null) {
                unproven(this, coreSession, problem);
                return;
            }
            synchronized (lock) {
                backoffMillis = FIRST_BACKOFF_MILLIS;
            }
            if (handshake.acks()) {
                acks = new DeliveryAcks();
            }
            up = true;
            lastFailure = "link lost";
            log.info("Linked to peer {}", name);
            node.linkUp(PeerLink.this);
            coreSession.demand();
        }

        @Override
        public void onFrame(Frame frame, Callback callback) {
            CoreSession current = session;
            if (handshake.unproven() != null) {
                callback.succeeded();
                return;
            }
            try {
                switch (frame.getOpCode() == OpCode.CONTINUATION && textInProgress ? OpCode.TEXT
                        : frame.getOpCode()) {
                    case OpCode.BINARY, OpCode.CONTINUATION -> {
                        ForwardCodec.Forwarded forwarded = decoder.feed(frame.getPayload(), frame.isFin());
                        if (forwarded != null) {
                            meters.received().increment();
                            DeliveryAcks counting = acks;
                            node.deliver(forwarded, counting == null ? null : counting.taker());
                            if (counting != null) {
                                counting.delivered();
                            }
                        }
                    }
                    case OpCode.PING -> current.sendFrame(Frames.pong(frame), Callback.NOOP, false);
                    case OpCode.TEXT -> text(frame, current);
                    default -> {
                        // PONG refreshes the idle timeout; CLOSE is answered by the core session
                    }
                }
            } catch (ForwardCodec.MalformedException e) {
                log.warn("Closing the link to peer {}: malformed forwarded event ({})", name, e.getMessage());
                current.close(CloseCodes.PROTOCOL_ERROR, "malformed forwarded event", Callback.NOOP);
            }
            callback.succeeded();
            if (frame.getOpCode() != OpCode.CLOSE) {
                current.demand();
            }
        }

        /**
         * A peer sends text to ask for a fresh interest snapshot and to answer syncs; a message may come in several
         * frames (Jetty splits large ones), at most {@link PeerProtocol#MAX_INTEREST_BYTES} in all.
         */
        private void text(Frame frame, CoreSession current) {
            if (frame.getOpCode() == OpCode.TEXT) {
                text.reset();
            }
            if (text.length() + frame.getPayloadLength() > PeerProtocol.MAX_INTEREST_BYTES) {
                textInProgress = false;
                text.reset();
                log.warn("Closing the link to peer {}: a text message larger than {} bytes", name,
                        PeerProtocol.MAX_INTEREST_BYTES);
                current.close(CloseCodes.MESSAGE_TOO_BIG, "text message too big", Callback.NOOP);
                return;
            }
            text.append(frame.getPayload());
            textInProgress = !frame.isFin();
            if (textInProgress) {
                return;
            }
            String complete = text.toCompleteString();
            text.reset();
            String reason = "not a resync request nor a sync answer";
            try {
                InterestCodec.Message message = InterestCodec.decode(complete);
                if (message instanceof InterestCodec.Places places) {
                    node.placesHanded(places.places());
                    return;
                }
                if (message instanceof InterestCodec.Kept kept) {
                    node.placesKept(name, kept.places());
                    return;
                }
                if (message instanceof InterestCodec.Positions positions) {
                    node.positionsForwarded(positions.application(), positions.positions());
                    return;
                }
                if (message instanceof InterestCodec.Workers workers) {
                    node.workersSeen(name, workers.names());
                    return;
                }
                if (message instanceof InterestCodec.Synced synced) {
                    synced(synced.id());
                    return;
                }
                if (message instanceof InterestCodec.Resync resync) {
                    log.info("Peer {} asks for a fresh interest snapshot: {}", name, resync.reason());
                    node.resync(PeerLink.this);
                    return;
                }
                reason = message == null ? reason
                        : "a peer sends only resync requests, places, kept places, workers, positions and sync answers as text";
            } catch (IllegalArgumentException e) {
                reason = e.getMessage();
            }
            log.warn("Closing the link to peer {}: unexpected text message ({})", name, reason);
            current.close(CloseCodes.PROTOCOL_ERROR, "unexpected text message", Callback.NOOP);
        }

        @Override
        public void onError(Throwable cause, Callback callback) {
            log.debug("Link to peer {} failed", name, cause);
            if (session != null && handshake.unproven() == null) {
                // a failed upgrade is reported (with its HTTP status) by the connect future instead, an unproven
                // peer by onOpen
                lastFailure = LinkHandshake.describe(cause);
            }
            callback.succeeded();
        }

        @Override
        public void onClosed(CloseStatus closeStatus, Callback callback) {
            callback.succeeded();
            if (!isCurrent() || handshake.unproven() != null) {
                return;
            }
            up = false;
            downSinceNanos = node.nanoTime();
            lastFailure = "link closed: " + closeStatus;
            failSyncs(lastFailure);
            log.info("Link to peer {} closed: {}; reconnecting", name, closeStatus);
            if (closeStatus.getCode() == CloseCodes.SLOW_CONSUMER) {
                node.linkOverflowed(PeerLink.this);
            }
            retry(this);
        }
    }
}
