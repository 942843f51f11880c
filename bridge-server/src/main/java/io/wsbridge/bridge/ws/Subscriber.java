package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.WriteBatch;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.route.Subscription;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.OverflowPolicy;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.util.Utf8StringBuilder;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.exception.CloseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket subscriber. Events wait in a bounded queue; a single flusher writes them, coalescing what has
 * queued up into one network write, so {@link #offer(Event)} never blocks the publisher. When the queue is full the
 * overflow policy applies.
 *
 * <p>Within a {@link WriteBatch} (the events of one {@code put()} of the connector's task), a subscriber writes
 * once it has a full batch queued, and what is left when the batch ends: a few network writes per Kafka poll instead
 * of one per event, which would cost a system call per event and subscriber whenever the socket takes the bytes at
 * once. A single event published outside a batch is written at once.
 */
public final class Subscriber implements FrameHandler, Subscription {

    private static final Logger log = LoggerFactory.getLogger(Subscriber.class);
    /** Frames written per network write at most; bounds the Jetty-side queue too. */
    private static final int MAX_BATCH = 64;
    /** Jetty's batch buffer per connection while it writes: a batch of 64 events of up to 500 bytes in one write. */
    static final int OUTPUT_BUFFER_BYTES = 32 * 1024;
    /** How long a subscriber closed for misbehaving gets to complete the close handshake before it is cut off. */
    private static final long ABORT_AFTER_MILLIS = 5_000;

    private final SubscriberHost host;
    private final String application;
    private final String channel;
    private final String groupId;
    private final String remote;
    private final int capacity;
    /** Queued events that are written at once even within a {@link WriteBatch}: a full batch, or half the queue. */
    private final int flushAt;
    private final OverflowPolicy overflowPolicy;
    private final BridgeMetrics.ApplicationMeters meters;

    private final ArrayDeque<Event> queue = new ArrayDeque<>();
    private final Flusher flusher = new Flusher();
    private final LongAdder sent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final Utf8StringBuilder incoming = new Utf8StringBuilder();

    private volatile Credentials credentials;
    private volatile String principal;
    private volatile Instant expiresAt;
    private volatile CoreSession session;
    /** Set when Jetty reports the connection closed. */
    private volatile boolean ended;
    /** Set once the subscriber stops taking events: closing, closed or overflowed. Guarded by {@code queue}. */
    private boolean done;
    /** Set by the first {@link #close}; later calls do nothing. Guarded by {@code queue}. */
    private boolean closeRequested;
    /** Set while a write waits for the end of a {@link WriteBatch}. Guarded by {@code queue}. */
    private boolean flushDeferred;
    private final Runnable deferredFlush = this::writeDeferred;
    private volatile long lastHeardNanos = System.nanoTime();
    private boolean receivingText;
    private boolean receivingBinary;
    /** Bytes of the text message being received: the limit is in bytes, the builder counts chars. */
    private long incomingBytes;

    Subscriber(SubscriberHost host, String application, String channel, String groupId, Credentials credentials,
            AccessDecision access, String remote) {
        this.host = host;
        this.application = application;
        this.channel = channel;
        this.groupId = groupId;
        this.credentials = credentials;
        this.principal = access.principal();
        this.expiresAt = access.expiresAt();
        this.remote = remote;
        this.capacity = host.settings().queueCapacity();
        this.flushAt = Math.max(1, Math.min(MAX_BATCH, capacity / 2));
        this.overflowPolicy = host.settings().overflowPolicy();
        this.meters = host.meters(application);
    }

    @Override
    public String application() {
        return application;
    }

    @Override
    public String channel() {
        return channel;
    }

    @Override
    public String groupId() {
        return groupId;
    }

    public Credentials credentials() {
        return credentials;
    }

    public String principal() {
        return principal;
    }

    /** When the session's credentials expire, or {@code null}. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** Replaces the session's credentials after a successful refresh. */
    void refreshed(Credentials newCredentials, AccessDecision access) {
        this.credentials = newCredentials;
        this.principal = access.principal();
        this.expiresAt = access.expiresAt();
    }

    /** Whether the connection is still open as far as the server knows. */
    public boolean isOpen() {
        return !ended;
    }

    /** Events handed to the network. */
    public long sent() {
        return sent.sum();
    }

    /** Events dropped by the {@code drop-oldest} overflow policy. */
    public long dropped() {
        return dropped.sum();
    }

    public int queued() {
        synchronized (queue) {
            return queue.size();
        }
    }

    @Override
    public boolean offer(Event event) {
        boolean overflowed = false;
        boolean batching = WriteBatch.active();
        boolean writeNow = true;
        boolean defer = false;
        synchronized (queue) {
            if (done) {
                return false;
            }
            if (queue.size() >= capacity) {
                if (overflowPolicy == OverflowPolicy.DROP_OLDEST) {
                    queue.pollFirst();
                    dropped.increment();
                    meters.dropped().increment();
                } else {
                    done = true;
                    queue.clear();
                    overflowed = true;
                }
            }
            if (!overflowed) {
                queue.addLast(event);
                if (batching && queue.size() < flushAt) {
                    writeNow = false;
                    if (!flushDeferred) {
                        flushDeferred = true;
                        defer = true;
                    }
                }
            }
        }
        if (overflowed) {
            meters.slowConsumerCloses().increment();
            log.info("Closing slow subscriber {} of '{}': {} events queued, overflow policy '{}'", remote, application,
                    capacity, overflowPolicy.configValue());
            close(CloseCodes.SLOW_CONSUMER, "subscriber too slow: " + capacity + " events queued");
            return false;
        }
        if (defer) {
            WriteBatch.defer(deferredFlush);
        }
        if (writeNow) {
            flusher.iterate();
        }
        return true;
    }

    /** The write deferred to the end of a batch. */
    private void writeDeferred() {
        synchronized (queue) {
            flushDeferred = false;
        }
        flusher.iterate();
    }

    /** Closes with the given code and cuts the connection if the client does not complete the close in time. */
    public void close(int code, String reason) {
        synchronized (queue) {
            if (closeRequested || ended) {
                return;
            }
            closeRequested = true;
            done = true;
            queue.clear();
        }
        host.metrics().closed(code);
        host.closed(this);
        CoreSession current = session;
        if (current == null) {
            return;
        }
        current.close(code, reason, Callback.NOOP);
        host.schedule(() -> {
            if (!ended) {
                log.debug("Subscriber {} did not complete the close handshake; aborting", remote);
                current.abort();
            }
        }, ABORT_AFTER_MILLIS);
    }

    /** Pings the client, or closes it if it has not been heard from within the pong timeout. */
    void checkLiveness(long nowNanos, long pongTimeoutNanos) {
        CoreSession current = session;
        if (current == null || ended) {
            return;
        }
        if (nowNanos - lastHeardNanos > pongTimeoutNanos) {
            log.info("Closing subscriber {} of '{}': no answer to pings for {} ms", remote, application,
                    pongTimeoutNanos / 1_000_000);
            close(CloseCodes.GOING_AWAY, "no answer to ping");
            return;
        }
        current.sendFrame(new Frame(OpCode.PING), Callback.NOOP, false);
    }

    @Override
    public void onOpen(CoreSession coreSession, Callback callback) {
        this.session = coreSession;
        this.lastHeardNanos = System.nanoTime();
        host.opened(this);
        callback.succeeded();
        coreSession.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        lastHeardNanos = System.nanoTime();
        CoreSession current = session;
        switch (frame.getOpCode()) {
            case OpCode.PING -> {
                ByteBuffer payload = frame.hasPayload() ? copy(frame.getPayload()) : null;
                current.sendFrame(new Frame(OpCode.PONG, payload), Callback.NOOP, false);
            }
            case OpCode.TEXT -> {
                incoming.reset();
                incomingBytes = 0;
                receivingText = true;
                appendText(frame);
            }
            case OpCode.CONTINUATION -> {
                if (receivingText) {
                    appendText(frame);
                } else if (receivingBinary && frame.isFin()) {
                    receivingBinary = false;
                }
            }
            case OpCode.BINARY -> {
                receivingBinary = !frame.isFin();
                close(CloseCodes.UNSUPPORTED_DATA, "binary messages are not accepted");
            }
            default -> {
                // PONG refreshes lastHeard; CLOSE is answered by the core session.
            }
        }
        callback.succeeded();
        if (frame.getOpCode() != OpCode.CLOSE) {
            current.demand();
        }
    }

    private void appendText(Frame frame) {
        int limit = host.settings().maxMessageBytes();
        incomingBytes += frame.getPayloadLength();
        if (incomingBytes > limit) {
            receivingText = false;
            incoming.reset();
            close(CloseCodes.MESSAGE_TOO_BIG, "message larger than " + limit + " bytes");
            return;
        }
        incoming.append(frame.getPayload());
        if (frame.isFin()) {
            receivingText = false;
            // A message that ends inside a multi-byte sequence is invalid too, not only one with a bad byte.
            incoming.complete();
            if (incoming.hasCodingErrors()) {
                incoming.reset();
                close(CloseCodes.BAD_PAYLOAD, "message is not valid UTF-8");
                return;
            }
            String text = incoming.toCompleteString();
            incoming.reset();
            host.message(this, text);
        }
    }

    /**
     * Jetty reports here the protocol errors it detects itself (a reserved opcode, an unmasked frame, a fragmented
     * control frame...) before it closes the connection with their code: counted like the closes of this class.
     */
    @Override
    public void onError(Throwable cause, Callback callback) {
        log.debug("WebSocket error on subscriber {} of '{}'", remote, application, cause);
        if (cause instanceof CloseException closing) {
            boolean first;
            synchronized (queue) {
                first = !closeRequested && !ended;
                closeRequested = true;
                done = true;
                queue.clear();
            }
            if (first) {
                log.debug("Closing subscriber {} of '{}' with {}: {}", remote, application, closing.getStatusCode(),
                        closing.getMessage());
                host.metrics().closed(closing.getStatusCode());
            }
        }
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
        ended = true;
        synchronized (queue) {
            done = true;
            queue.clear();
        }
        log.debug("Subscriber {} of '{}' closed: {}", remote, application, closeStatus);
        host.closed(this);
        callback.succeeded();
    }

    @Override
    public String toString() {
        return "Subscriber[" + remote + " -> " + application + (channel == null ? "" : "/" + channel)
                + (groupId == null ? "" : " group=" + groupId) + "]";
    }

    private static ByteBuffer copy(ByteBuffer buffer) {
        ByteBuffer copy = ByteBuffer.allocate(buffer.remaining());
        copy.put(buffer.slice()).flip();
        return copy;
    }

    /**
     * Writes queued events, one batch at a time: all but the last frame of a batch are batched by Jetty into one
     * buffer, the last flushes it, and its completion starts the next batch.
     */
    private final class Flusher extends IteratingCallback {

        private final Event[] batch = new Event[MAX_BATCH];
        private long lastPublishedNanos;

        @Override
        protected void onSuccess() {
            host.metrics().recordDispatch(meters, lastPublishedNanos);
        }

        @Override
        protected Action process() {
            CoreSession current = session;
            int count = 0;
            synchronized (queue) {
                if (current == null || queue.isEmpty()) {
                    return Action.IDLE;
                }
                while (count < MAX_BATCH && !queue.isEmpty()) {
                    batch[count++] = queue.pollFirst();
                }
            }
            for (int i = 0; i < count - 1; i++) {
                current.sendFrame(new Frame(OpCode.TEXT, batch[i].payload()), Callback.NOOP, true);
                batch[i] = null;
            }
            Event last = batch[count - 1];
            batch[count - 1] = null;
            lastPublishedNanos = last.publishedNanos();
            current.sendFrame(new Frame(OpCode.TEXT, last.payload()), this, false);
            sent.add(count);
            meters.eventsOut().increment(count);
            return Action.SCHEDULED;
        }

        @Override
        protected void onCompleteFailure(Throwable cause) {
            log.debug("Writing to subscriber {} failed", remote, cause);
            synchronized (queue) {
                done = true;
                queue.clear();
            }
        }
    }
}
