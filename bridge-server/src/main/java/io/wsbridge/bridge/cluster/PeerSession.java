package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.LiveStream;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.Frames;
import io.wsbridge.bridge.session.Outbox;
import io.wsbridge.bridge.session.OverflowPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Utf8StringBuilder;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accepting end of a peer link, on a bridge that consumes events: it keeps proxies of the peer's subscribers in
 * the router (from the interest snapshot and deltas the peer sends, {@link InterestReceiver}) and writes the events
 * they take to the peer, in order, from a bounded queue, in batches. Closing the link removes the proxies at once.
 *
 * <p>Over 300 lines because it is the accepting end of one connection, whose parts share its lifecycle: the interest
 * it applies, the sync answers with their places, the forwarded messages and what the peer has not acknowledged of
 * them; each part of its own is a class already ({@link InterestReceiver}, {@link ProxySet}, {@link PlacesToHand},
 * {@link UnackedMessages}), what stays here is their wiring to the one connection.
 */
final class PeerSession implements FrameHandler, PeerProxy.Forwarder {

    private static final Logger log = LoggerFactory.getLogger(PeerSession.class);
    /** Messages written per network write at most. */
    private static final int MAX_BATCH = 64;

    private final ClusterNode node;
    private final String peer;
    private final String remote;
    private final Outbox<ForwardMessage> outbox;
    private final ProxySet proxies;
    private final BridgeMetrics.PeerMeters meters;
    private final BridgeMetrics.InterestMeters interestMeters;
    private final InterestReceiver interest = new InterestReceiver();
    private final Utf8StringBuilder incoming = new Utf8StringBuilder();
    private volatile CoreSession session;
    private volatile boolean ended;
    /** Whether an interest snapshot of the peer was applied: its subscribers are in the router. */
    private volatile boolean interestKnown;
    private final PlacesToHand places;
    /** What the peer's groups were handed and the peer did not acknowledge yet; {@code null} if it does not ack. */
    private final UnackedMessages unacked;
    private final AtomicBoolean ending = new AtomicBoolean();
    /**
     * Held while a forwarded message's two fragments are handed to Jetty, and while a text message is: a text frame
     * sent from another thread between the fragments of a binary message would break the message sequence (Jetty
     * refuses it, and the text, a sync answer say, would be lost).
     */
    private final Object frames = new Object();
    /**
     * Whether the peer reads this bridge's live positions ({@link PeerProtocol#POSITIONS_HEADER}), and, per
     * application, the stream's {@link LiveStream#moves} when they last went out.
     */
    private final boolean positions;
    private final Map<String, Long> positionsSent = new ConcurrentHashMap<>();

    /**
     * @param acks whether the peer acknowledges what it wrote ({@link PeerProtocol#ACKS_HEADER})
     * @param positions whether the peer reads live positions ({@link PeerProtocol#POSITIONS_HEADER})
     */
    PeerSession(ClusterNode node, String peer, String remote, int capacity,
            OverflowPolicy policy, boolean acks, boolean positions) {
        this.node = node;
        this.positions = positions;
        this.peer = peer;
        this.remote = remote;
        this.unacked = acks ? new UnackedMessages(capacity) : null;
        this.places = new PlacesToHand(peer);
        this.outbox = new Outbox<>(capacity, policy, MAX_BATCH, Outbox.FlushMode.ON_FLUSH, ForwardMessage.MERGER,
                new MessageWriter());
        this.proxies = new ProxySet(node.router(), this, node::applicationSeen);
        this.meters = node.metrics().peer(peer);
        this.interestMeters = node.metrics().peerInterest(peer);
    }

    String peer() {
        return peer;
    }

    /**
     * Sends a text message (copies of kept places) to the peer, if the link is open and the peer is of a version that
     * reads it: one that takes part in acknowledgements ({@link PeerProtocol#ACKS_HEADER}).
     */
    void sendText(String text) {
        CoreSession current = session;
        if (current != null && !ended && unacked != null) {
            sendTextFrame(current, text);
        }
    }

    /** Adds the events for the peer's groups not acknowledged yet, queued ones included, to {@code lowest}. */
    void lowestUnacked(Map<PartitionId, Long> lowest) {
        if (unacked != null) {
            unacked.lowest(lowest);
            outbox.forEachQueued(message -> UnackedMessages.add(message, lowest));
        }
    }

    /** Messages with events for the peer's groups that it did not acknowledge yet. */
    int unacknowledged() {
        return unacked == null ? 0 : unacked.size();
    }

    int proxies() {
        return proxies.size();
    }

    /** A group of the peer formed again here with a place: it goes out before the next sync answer. */
    @Override
    public void placed(String application, GroupKey group, Cursor place) {
        places.add(application, group, place);
    }

    @Override
    public boolean forward(Event event, boolean plain, GroupKey group) {
        switch (outbox.offer(new ForwardMessage(event, plain, group))) {
            case CLOSED -> {
                return false;
            }
            case OVERFLOWED -> {
                meters.overflows().increment();
                log.warn("Closing the link of peer {}: it read too slowly ({} events queued); its subscribers are "
                        + "closed with 1013 and reconnect", peer, node.linkCapacity());
                close(CloseCodes.SLOW_CONSUMER, "peer link too slow");
                return false;
            }
            case QUEUED_DROPPING_OLDEST -> meters.dropped().increment();
            default -> {
                // queued or merged into the message of the same event
            }
        }
        // written by flush(), once the router has offered the event to every proxy of this peer
        return true;
    }

    /**
     * Sends the live position in each application the peer has subscribers of, where it moved since it last went
     * out (the cluster thread calls it every second): the peer's cursors then keep up with partitions whose events
     * its subscribers do not take, and a resume from them reads less again.
     */
    void sendMovedPositions() {
        if (positions && isOpen()) {
            proxies.applications().forEach(application -> sendPositions(application, false));
            positionsSent.keySet().retainAll(proxies.applications());
        }
    }

    /**
     * Queues this bridge's live position in the partitions of {@code application} it publishes, behind every event
     * of them queued so far (it is taken under the stream's lock, which publishing holds through its offers). It
     * waits for the next time if the queue is more than half full: positions never push events out of it.
     */
    private void sendPositions(String application, boolean always) {
        LiveStream stream = positions ? node.router().streams().find(application) : null;
        if (stream == null) {
            return;
        }
        synchronized (stream) {
            long moves = stream.moves();
            Long sent = positionsSent.get(application);
            if (!always && sent != null && sent == moves) {
                return;
            }
            List<String> messages = InterestCodec.positions(application, stream.localSnapshot().positions());
            if (outbox.size() + messages.size() > outbox.capacity() / 2) {
                positionsSent.remove(application);
                return;
            }
            for (String message : messages) {
                if (outbox.offer(new ForwardMessage(message)) == Outbox.Outcome.CLOSED) {
                    return;
                }
            }
            positionsSent.put(application, moves);
        }
        outbox.flush();
    }

    /** Writes what is queued; the router calls it after each published event. */
    void flush() {
        outbox.flush();
    }

    /** Closes the link; the peer reconnects unless it is going away. */
    void close(int code, String reason) {
        end();
        CoreSession current = session;
        if (current != null) {
            current.close(code, reason, Callback.NOOP);
        }
    }

    @Override
    public void onOpen(CoreSession coreSession, Callback callback) {
        this.session = coreSession;
        node.inboundOpened(this);
        log.info("Peer {} linked from {}", peer, remote);
        callback.succeeded();
        coreSession.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        CoreSession current = session;
        switch (frame.getOpCode()) {
            case OpCode.PING -> current.sendFrame(Frames.pong(frame), Callback.NOOP, false);
            case OpCode.TEXT, OpCode.CONTINUATION -> {
                if (frame.getOpCode() == OpCode.TEXT) {
                    incoming.reset();
                }
                if (incoming.length() + frame.getPayloadLength() > PeerProtocol.MAX_INTEREST_BYTES) {
                    close(CloseCodes.MESSAGE_TOO_BIG, "interest larger than " + PeerProtocol.MAX_INTEREST_BYTES);
                } else {
                    interestMeters.bytesReceived().increment(frame.getPayloadLength());
                    incoming.append(frame.getPayload());
                    if (frame.isFin()) {
                        interest(incoming.toCompleteString());
                        incoming.reset();
                    }
                }
            }
            case OpCode.BINARY -> close(CloseCodes.UNSUPPORTED_DATA, "a peer sends only its interest");
            default -> {
                // PONG; CLOSE is answered by the core session
            }
        }
        callback.succeeded();
        if (frame.getOpCode() != OpCode.CLOSE) {
            current.demand();
        }
    }

    private void interest(String text) {
        InterestReceiver.Outcome outcome;
        try {
            InterestCodec.Message message = InterestCodec.decode(text);
            if (message instanceof InterestCodec.Sync sync) {
                // everything before it is applied: messages are handled one at a time, in order
                CoreSession current = session;
                if (current != null) {
                    // every place taken so far first, in bounded messages, then the answer
                    for (List<String> taken = places.take(); !taken.isEmpty(); taken = places.take()) {
                        sendTextFrame(current, InterestCodec.places(taken));
                    }
                    sendTextFrame(current, InterestCodec.synced(sync.id()));
                }
                return;
            }
            if (message instanceof InterestCodec.Acked acked) {
                if (unacked != null) {
                    unacked.acked(acked.messages());
                }
                return;
            }
            if (message instanceof InterestCodec.Delta) {
                interestMeters.deltasReceived().increment();
            } else if (message instanceof InterestCodec.Snapshot) {
                interestMeters.snapshotsReceived().increment();
            }
            outcome = interest.receive(message);
        } catch (IllegalArgumentException e) {
            outcome = interest.failed("bad interest message: " + e.getMessage());
        }
        if (!outcome.applications().isEmpty()) {
            Map<GroupKey, String> emptied = proxies.apply(outcome.applications());
            if (!emptied.isEmpty() && unacked != null) {
                // their last member there left: what it had not acknowledged goes to the others (or back to the place)
                node.redeal(peer, unacked.takeGroups(emptied));
            }
            // the peer's subscribers that just came get their first events after where the stream is now: so their
            // cursors name every partition published here from the start
            outcome.applications().forEach((application, wanted) -> {
                if (wanted != null && !wanted.isEmpty()) {
                    sendPositions(application, true);
                }
            });
        }
        if (!interest.awaitingSnapshot()) {
            interestKnown = true;
        }
        if (!outcome.applications().isEmpty()) {
            log.debug("Peer {} changed its interest in {} applications", peer, outcome.applications().size());
        }
        if (outcome.giveUp() != null) {
            log.warn("Closing the link of peer {}: its interest cannot be applied: {}", peer, outcome.giveUp());
            close(CloseCodes.PROTOCOL_ERROR, "interest cannot be applied");
        } else if (outcome.resync() != null) {
            interestMeters.resyncs().increment();
            log.warn("Asking peer {} for a fresh interest snapshot: {}", peer, outcome.resync());
            CoreSession current = session;
            if (current != null) {
                sendTextFrame(current, InterestCodec.resync(outcome.resync()));
            }
        }
    }

    @Override
    public void onError(Throwable cause, Callback callback) {
        log.debug("Link of peer {} failed", peer, cause);
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
        ended = true;
        end();
        node.inboundClosed(this);
        log.info("Peer {} unlinked: {}", peer, closeStatus);
        callback.succeeded();
    }

    /**
     * The link ends: nothing more is queued, the peer's proxies leave the router (a group whose last member was there
     * keeps its place), and what the peer's groups were handed and the peer did not acknowledge, written or still
     * queued, is dealt again to the groups ({@link ClusterNode#redeal}).
     */
    private void end() {
        if (!ending.compareAndSet(false, true)) {
            return;
        }
        List<ForwardMessage> queued = outbox.closeAndTake();
        proxies.clear();
        if (unacked != null) {
            node.redeal(peer, unacked.takeAll(queued, peer));
        }
    }

    /** Sends a whole text message, never between the two fragments of a forwarded one. */
    private void sendTextFrame(CoreSession current, String text) {
        synchronized (frames) {
            current.sendFrame(new Frame(OpCode.TEXT, text), Callback.NOOP, false);
        }
    }

    boolean isOpen() {
        return session != null && !ended;
    }

    /** Whether the link is open and the peer's subscribers, as its first interest snapshot has them, are known. */
    boolean interestKnown() {
        return interestKnown && isOpen();
    }

    @Override
    public String toString() {
        return "peer " + peer;
    }

    /**
     * Writes a batch of messages: each is the header fragment and the event's own bytes as the final fragment of one
     * binary message; the last frame of a batch flushes, and its completion lets the outbox start the next batch.
     */
    private final class MessageWriter implements Outbox.Writer<ForwardMessage> {

        @Override
        public boolean ready() {
            return session != null;
        }

        @Override
        public void write(List<ForwardMessage> batch, Callback done) {
            CoreSession current = session;
            int events = 0;
            for (ForwardMessage message : batch) {
                events += message.text == null ? 1 : 0; // counted first: the batch is reused once done completes
            }
            meters.forwarded().increment(events);
            List<ForwardMessage> late;
            synchronized (frames) {
                late = writeFrames(current, batch, done);
            }
            if (late != null) {
                node.redeal(peer, late);
            }
        }

        /** Hands the batch's frames to Jetty, in order. @return the messages whose link ended while taken */
        private List<ForwardMessage> writeFrames(CoreSession current, List<ForwardMessage> batch, Callback done) {
            int count = batch.size();
            List<ForwardMessage> late = null;
            for (int i = 0; i < count; i++) {
                ForwardMessage message = batch.get(i);
                boolean last = i == count - 1;
                if (message.text != null) {
                    // in its place among the events; not one of the forwarded messages acknowledgements count
                    current.sendFrame(new Frame(OpCode.TEXT, message.text), last ? done : Callback.NOOP, !last);
                    continue;
                }
                if (unacked != null && !unacked.written(message) && !message.groups.isEmpty()) {
                    late = late == null ? new ArrayList<>() : late;
                    late.add(message); // the link ended while this batch was taken: its groups get them again
                }
                current.sendFrame(new Frame(OpCode.BINARY, false,
                        ForwardCodec.header(message.event, message.plain, message.groups)), Callback.NOOP, true);
                current.sendFrame(new Frame(OpCode.CONTINUATION, true, message.event.body()),
                        last ? done : Callback.NOOP, !last);
            }
            return late;
        }

        @Override
        public void failed(Throwable cause) {
            log.debug("Writing to peer {} failed", peer, cause);
        }
    }
}
