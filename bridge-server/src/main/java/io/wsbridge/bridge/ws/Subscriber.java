package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.AccessSession;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.auth.SessionAccess;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.WriteBatch;
import io.wsbridge.bridge.filter.EventView;
import io.wsbridge.bridge.filter.Filter;
import io.wsbridge.bridge.filter.Filters;
import io.wsbridge.bridge.filter.InvalidFilterException;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.resume.Catchup;
import io.wsbridge.bridge.route.Subscription;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.Frames;
import io.wsbridge.bridge.session.Outbox;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
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
 * One WebSocket subscriber: its events leave through an {@link Outbox} (bounded queue, overflow policy, batched
 * writes, one in flight), so {@link #offer(Event)} never blocks the publisher; its access is kept up by the server's
 * {@link SessionAccess}; the rest is the WebSocket side: pings, the client's messages,
 * closing.
 *
 * <p>Within a {@link WriteBatch} (the events of one {@code put()} of the connector's task), a subscriber writes
 * once it has a full batch queued, and what is left when the batch ends: a few network writes per Kafka poll instead
 * of one per event, which would cost a system call per event and subscriber whenever the socket takes the bytes at
 * once. A single event published outside a batch is written at once.
 *
 * <p>Over 300 lines because a Jetty frame handler must answer every frame kind and every way a connection ends (ping,
 * pong, text, binary, continuation, Jetty's own protocol errors, close), and each of those ends must give back the
 * subscriber's queue, its slot and its share of the message budget exactly once; the queue itself, access and message
 * assembly are classes of their own.
 */
public final class Subscriber implements FrameHandler, Subscription, AccessSession {

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
    private final GroupKey group;
    private final String filterExpression;
    private volatile Filter filter;
    private final String remote;
    private final BridgeMetrics.ApplicationMeters meters;
    private final Outbox<Event> outbox;
    private final LongAdder sent = new LongAdder();
    private final IncomingMessages incoming;
    /** Set while a check of the unfinished message's age is scheduled; one at a time. */
    private final AtomicBoolean unfinishedCheck = new AtomicBoolean();

    private volatile Credentials credentials;
    private volatile AccessDecision access;
    private volatile CoreSession session;
    /** Set when Jetty reports the connection closed. */
    private volatile boolean ended;
    /** Set by the first {@link #close} (or a close Jetty starts itself); later calls do nothing. */
    private final AtomicBoolean closeRequested = new AtomicBoolean();
    private volatile long lastHeardNanos = System.nanoTime();
    /** Set while the subscriber catches up from history ({@code ?from=}); its live events go there first. */
    private volatile Catchup catchup;

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
        this.host = host;
        this.application = application;
        this.channel = channel;
        this.filterExpression = filterExpression;
        this.group = groupId == null ? null
                : new GroupKey(access.anonymous() ? null : access.principal(), groupId, channel, filterExpression);
        this.credentials = credentials;
        this.access = access;
        this.remote = remote;
        this.meters = host.meters(application);
        this.outbox = new Outbox<>(host.settings().queueCapacity(), host.settings().overflowPolicy(), MAX_BATCH,
                Outbox.FlushMode.ON_OFFER, null, new FrameWriter());
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
    public String application() {
        return application;
    }

    @Override
    public String channel() {
        return channel;
    }

    @Override
    public GroupKey group() {
        return group;
    }

    @Override
    public Filter filter() {
        return filter;
    }

    /** The expression of its filter, or {@code null}; its compiled form is {@link #filter()} once it is open. */
    public String filterExpression() {
        return filterExpression;
    }

    /**
     * Compiles its filter when it opens, before the router sees it (or shares the compiled form of the same text).
     *
     * @return {@code false} if it could not, and the subscriber is closing
     */
    boolean acquireFilter(Filters filters) {
        if (filterExpression != null) {
            try {
                filter = filters.acquire(filterExpression);
            } catch (InvalidFilterException e) {
                // validated at the upgrade: compiling the same text again does not fail
                close(CloseCodes.INTERNAL_ERROR, "the filter could not be compiled");
                return false;
            }
        }
        return true;
    }

    /** Gives its filter back when it closes, after the router forgot it. */
    void releaseFilter(Filters filters) {
        if (filter != null) {
            filters.release(filter);
        }
    }

    /** The {@code group_id} it was opened with, or {@code null}. */
    public String groupId() {
        return group == null ? null : group.groupId();
    }

    @Override
    public Credentials credentials() {
        return credentials;
    }

    @Override
    public AccessDecision access() {
        return access;
    }

    /** Who it was admitted as ({@code anonymous} or a user's or service account's name). */
    public String principal() {
        return access.principal();
    }

    /** Swaps in refreshed credentials; {@link SessionAccess} only calls this for the same principal. */
    @Override
    public void refreshed(Credentials newCredentials, AccessDecision newAccess) {
        this.credentials = newCredentials;
        this.access = newAccess;
    }

    /** Whether the connection is still open as far as the server knows. */
    @Override
    public boolean isOpen() {
        return !ended;
    }

    /** Events handed to the network. */
    public long sent() {
        return sent.sum();
    }

    /** Events dropped by the {@code drop-oldest} overflow policy. */
    public long dropped() {
        return outbox.dropped();
    }

    public int queued() {
        return outbox.size();
    }

    /** Catches up with {@code catchup} before going live; call before the connection opens. */
    void catchUp(Catchup newCatchup) {
        this.catchup = newCatchup;
    }

    /** What a {@link Catchup} needs of this subscriber. */
    Catchup.Target catchupTarget() {
        return new Catchup.Target() {
            @Override
            public boolean deliver(Event event) {
                // History holds every event of the application: the route's channel and the filter apply here, as
                // the router applies them to live events. A skipped event is taken: the position moves past it.
                return !wants(event) || Subscriber.this.deliver(event);
            }

            @Override
            public int room() {
                return outbox.capacity() - outbox.size();
            }

            @Override
            public void fail(int closeCode, String reason) {
                close(closeCode, reason);
            }

            @Override
            public void caughtUp() {
                catchup = null;
            }
        };
    }

    @Override
    public boolean offer(Event event) {
        Catchup current = catchup;
        return current == null ? deliver(event) : current.offerLive(event);
    }

    /** Whether a replayed event is for this subscriber: its channel, and its filter if it has one. */
    private boolean wants(Event event) {
        if (!accepts(event)) {
            return false;
        }
        Filter current = filter;
        if (current == null) {
            return true;
        }
        try {
            return current.matches(EventView.of(event.payload()));
        } catch (IllegalArgumentException e) {
            return current.failed();
        }
    }

    private boolean deliver(Event event) {
        switch (outbox.offer(event)) {
            case CLOSED -> {
                return false;
            }
            case OVERFLOWED -> {
                meters.slowConsumerCloses().increment();
                log.info("Closing slow subscriber {} of '{}': {} events queued, overflow policy '{}'", remote,
                        application, outbox.capacity(), host.settings().overflowPolicy().configValue());
                close(CloseCodes.SLOW_CONSUMER, "subscriber too slow: " + outbox.capacity() + " events queued");
                return false;
            }
            case QUEUED_DROPPING_OLDEST -> meters.dropped().increment();
            default -> {
                // queued; the outbox writes it, now or at the end of the batch
            }
        }
        return true;
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
            log.info("Closing subscriber {} of '{}': a fragmented message unfinished for {} ms", remote, application,
                    age / 1_000_000);
            close(CloseCodes.POLICY_VIOLATION, "message not finished within " + timeout / 1_000_000 + " ms");
            return;
        }
        scheduleUnfinishedCheck(timeout - age);
    }

    @Override
    public void onOpen(CoreSession coreSession, Callback callback) {
        this.session = coreSession;
        this.lastHeardNanos = System.nanoTime();
        host.opened(this);
        Catchup current = catchup;
        if (current != null) {
            current.start(); // after joining the router: the live events it buffers start before its attach point
        }
        callback.succeeded();
        coreSession.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        lastHeardNanos = System.nanoTime();
        CoreSession current = session;
        switch (frame.getOpCode()) {
            case OpCode.PING -> current.sendFrame(Frames.pong(frame), Callback.NOOP, false);
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
                // PONG refreshes lastHeard; CLOSE is answered by the core session.
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
        log.debug("WebSocket error on subscriber {} of '{}'", remote, application, cause);
        if (cause instanceof CloseException closing) {
            outbox.close();
            if (!ended && closeRequested.compareAndSet(false, true)) {
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
        endCatchup();
        outbox.close();
        incoming.discard();
        log.debug("Subscriber {} of '{}' closed: {}", remote, application, closeStatus);
        host.closed(this);
        callback.succeeded();
    }

    private void endCatchup() {
        Catchup current = catchup;
        if (current != null) {
            catchup = null;
            current.close();
        }
    }

    @Override
    public String toString() {
        return "Subscriber[" + remote + " -> " + application + (channel == null ? "" : "/" + channel)
                + (group == null ? "" : " group=" + group.groupId()) + "]";
    }

    /**
     * Writes a batch of events as text frames: all but the last are batched by Jetty into one buffer, the last
     * flushes it, and its completion lets the outbox start the next batch.
     */
    private final class FrameWriter implements Outbox.Writer<Event> {

        private long lastPublishedNanos;

        @Override
        public boolean ready() {
            return session != null;
        }

        @Override
        public void write(List<Event> batch, Callback done) {
            CoreSession current = session;
            int count = batch.size();
            for (int i = 0; i < count - 1; i++) {
                current.sendFrame(new Frame(OpCode.TEXT, batch.get(i).payload()), Callback.NOOP, true);
            }
            Event last = batch.get(count - 1);
            lastPublishedNanos = last.publishedNanos();
            current.sendFrame(new Frame(OpCode.TEXT, last.payload()), done, false);
            sent.add(count);
            meters.eventsOut().increment(count);
        }

        @Override
        public void written() {
            host.metrics().recordDispatch(meters, lastPublishedNanos);
            Catchup current = catchup;
            if (current != null) {
                current.drained();
            }
        }

        @Override
        public void failed(Throwable cause) {
            log.debug("Writing to subscriber {} failed", remote, cause);
        }
    }
}
