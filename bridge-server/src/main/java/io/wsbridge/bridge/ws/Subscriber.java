package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.WriteBatch;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.Frames;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.exception.CloseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket subscriber: what every subscriber has (route, group, filter, access, catch-up, outbox) is
 * {@link ClientSubscriber}'s; this is the WebSocket side: frames, pings, the client's messages, closing.
 *
 * <p>Within a {@link WriteBatch} (the events of one {@code put()} of the connector's task), a subscriber writes
 * once it has a full batch queued, and what is left when the batch ends: a few network writes per Kafka poll instead
 * of one per event, which would cost a system call per event and subscriber whenever the socket takes the bytes at
 * once. A single event published outside a batch is written at once.
 */
public final class Subscriber extends ClientSubscriber implements FrameHandler {

    private static final Logger log = LoggerFactory.getLogger(Subscriber.class);
    /** Jetty's batch buffer per connection while it writes: a batch of 64 events of up to 500 bytes in one write. */
    static final int OUTPUT_BUFFER_BYTES = 32 * 1024;
    /** How long a subscriber closed for misbehaving gets to complete the close handshake before it is cut off. */
    private static final long ABORT_AFTER_MILLIS = 5_000;

    private final IncomingMessages incoming;
    /** Set while a check of the unfinished message's age is scheduled; one at a time. */
    private final AtomicBoolean unfinishedCheck = new AtomicBoolean();
    private volatile CoreSession session;
    /** Writes the frames straight to the connection; {@code null} when they go through Jetty's flusher. */
    private volatile DirectFrames direct;
    /** Set when Jetty reports the connection closed. */
    private volatile boolean ended;
    /** Set by the first {@link #close} (or a close Jetty starts itself); later calls do nothing. */
    private final AtomicBoolean closeRequested = new AtomicBoolean();
    private volatile long lastHeardNanos = System.nanoTime();

    /**
     * A subscriber of {@code application} (and {@code channel}, and group {@code groupId}, each may be {@code null}),
     * admitted with {@code access}: its group is {@code access}'s principal's. The server's upgrade negotiator makes
     * them; other hosts (benchmarks) may too.
     */
    public Subscriber(SubscriberHost host, String application, String channel, String groupId, Credentials credentials,
            AccessDecision access, String remote) {
        this(host, application, channel, groupId, null, credentials, access, remote);
    }

    /**
     * A subscriber as above whose events must also match {@code filterExpression} (as the router's filters validated
     * it; {@code null} for none). Its group is a group of that filter.
     */
    public Subscriber(SubscriberHost host, String application, String channel, String groupId,
            String filterExpression, Credentials credentials, AccessDecision access, String remote) {
        super(host, application, channel, groupId, filterExpression, credentials, access, remote);
        this.incoming = new IncomingMessages(new IncomingMessages.Receiver() {
            @Override
            public void message(String text) {
                host.message(Subscriber.this, text);
            }

            @Override
            public void refuse(int closeCode, String reason) {
                close(closeCode, reason);
            }
        }, host.messageBudget());
    }

    @Override
    public String transport() {
        return "websocket";
    }

    /** Whether the connection is still open as far as the server knows. */
    @Override
    public boolean isOpen() {
        return !ended;
    }

    @Override
    boolean writable() {
        return session != null;
    }

    /**
     * Writes a batch of events as text frames, in one write of pre-encoded frames ({@link DirectFrames}); where that
     * cannot be used, through Jetty: all but the last are batched by Jetty into one buffer, the last flushes it. The
     * write's completion lets the outbox start the next batch.
     */
    @Override
    void writeBatch(List<Event> batch, Callback done) {
        DirectFrames frames = direct;
        if (frames != null) {
            frames.write(batch, done);
            return;
        }
        CoreSession current = session;
        int count = batch.size();
        for (int i = 0; i < count - 1; i++) {
            current.sendFrame(new Frame(OpCode.TEXT, batch.get(i).payload()), Callback.NOOP, true);
        }
        current.sendFrame(new Frame(OpCode.TEXT, batch.get(count - 1).payload()), done, false);
    }

    /** Whether the frames go straight to the connection ({@link DirectFrames}) rather than through Jetty's flusher. */
    boolean writesDirectly() {
        return direct != null;
    }

    /** Closes with the given code and cuts the connection if the client does not complete the close in time. */
    @Override
    public void close(int code, String reason) {
        endCatchup();
        outbox.close();
        incoming.discard();
        if (ended || !closeRequested.compareAndSet(false, true)) {
            return;
        }
        host.metrics().closed(code, transport());
        host.closed(this);
        CoreSession current = session;
        if (current == null) {
            return;
        }
        DirectFrames frames = direct;
        if (frames == null) {
            current.close(code, reason, Callback.NOOP);
        } else {
            frames.closeThen(() -> current.close(code, reason, Callback.NOOP)); // not in the middle of a write
        }
        host.schedule(() -> {
            if (!ended) {
                log.debug("Subscriber {} did not complete the close handshake; aborting", remote);
                current.abort();
            }
        }, ABORT_AFTER_MILLIS);
    }

    /** Pings the client, or closes it if it has not been heard from within the pong timeout. */
    @Override
    void checkLiveness(long nowNanos, long pongTimeoutNanos) {
        CoreSession current = session;
        if (current == null || ended) {
            return;
        }
        if (nowNanos - lastHeardNanos > pongTimeoutNanos) {
            log.info("Closing subscriber {} of '{}': no answer to pings for {} ms", remote, application(),
                    pongTimeoutNanos / 1_000_000);
            close(CloseCodes.GOING_AWAY, "no answer to ping");
            return;
        }
        DirectFrames frames = direct;
        if (frames == null) {
            current.sendFrame(new Frame(OpCode.PING), Callback.NOOP, false);
        } else {
            frames.ping();
        }
    }

    private void scheduleUnfinishedCheck(long delayNanos) {
        if (unfinishedCheck.compareAndSet(false, true)) {
            host.schedule(this::checkUnfinished, Math.max(1, (delayNanos + 999_999) / 1_000_000));
        }
    }

    /** Closes with 1008 if a fragmented message has been unfinished for the timeout, else checks again when due. */
    private void checkUnfinished() {
        unfinishedCheck.set(false);
        long since = incoming.unfinishedSinceNanos();
        if (since == IncomingMessages.NONE || ended) {
            return;
        }
        long timeout = host.settings().unfinishedMessageTimeout().toNanos();
        long age = System.nanoTime() - since;
        if (age >= timeout) {
            log.info("Closing subscriber {} of '{}': a fragmented message unfinished for {} ms", remote, application(),
                    age / 1_000_000);
            close(CloseCodes.POLICY_VIOLATION, "message not finished within " + timeout / 1_000_000 + " ms");
            return;
        }
        scheduleUnfinishedCheck(timeout - age);
    }

    @Override
    public void onOpen(CoreSession coreSession, Callback callback) {
        this.direct = DirectFrames.of(coreSession); // before the session: a write must never go both ways
        this.session = coreSession;
        this.lastHeardNanos = System.nanoTime();
        host.opened(this);
        startCatchup();
        callback.succeeded();
        coreSession.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        lastHeardNanos = System.nanoTime();
        CoreSession current = session;
        DirectFrames frames = direct;
        switch (frame.getOpCode()) {
            case OpCode.PING -> {
                if (frames == null) {
                    current.sendFrame(Frames.pong(frame), Callback.NOOP, false);
                } else {
                    frames.pong(frame.getPayload());
                }
            }
            case OpCode.CLOSE -> {
                if (frames != null) {
                    // Jetty answers the close once this callback completes: not in the middle of a write.
                    outbox.close();
                    frames.closeThen(callback::succeeded);
                    return;
                }
            }
            case OpCode.TEXT, OpCode.CONTINUATION, OpCode.BINARY -> {
                if (closeRequested.get()) {
                    break; // closing: what the client still sends is not assembled (nor held)
                }
                incoming.frame(frame, host.settings().maxMessageBytes());
                if (incoming.unfinishedSinceNanos() != IncomingMessages.NONE) {
                    scheduleUnfinishedCheck(host.settings().unfinishedMessageTimeout().toNanos());
                }
            }
            default -> {
                // PONG refreshes lastHeard.
            }
        }
        callback.succeeded();
        if (frame.getOpCode() != OpCode.CLOSE) {
            current.demand();
        }
    }

    /**
     * Jetty reports here the protocol errors it detects itself (a reserved opcode, an unmasked frame, a fragmented
     * control frame...) before it closes the connection with their code: counted like the closes of this class.
     */
    @Override
    public void onError(Throwable cause, Callback callback) {
        log.debug("WebSocket error on subscriber {} of '{}'", remote, application(), cause);
        if (cause instanceof CloseException closing) {
            outbox.close();
            if (!ended && closeRequested.compareAndSet(false, true)) {
                log.debug("Closing subscriber {} of '{}' with {}: {}", remote, application(), closing.getStatusCode(),
                        closing.getMessage());
                host.metrics().closed(closing.getStatusCode(), transport());
            }
        }
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
        ended = true;
        endCatchup();
        outbox.close();
        incoming.discard();
        log.debug("Subscriber {} of '{}' closed: {}", remote, application(), closeStatus);
        host.closed(this);
        callback.succeeded();
    }

    @Override
    public String toString() {
        return "Subscriber[" + remote + " -> " + application() + (channel() == null ? "" : "/" + channel())
                + (group() == null ? "" : " group=" + group().groupId()) + "]";
    }
}
