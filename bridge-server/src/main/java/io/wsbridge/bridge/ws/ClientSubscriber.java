package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.AccessSession;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.EventView;
import io.wsbridge.bridge.filter.Filter;
import io.wsbridge.bridge.filter.Filters;
import io.wsbridge.bridge.filter.InvalidFilterException;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.resume.Catchup;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.CursorException;
import io.wsbridge.bridge.resume.Gap;
import io.wsbridge.bridge.resume.LiveStream;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Subscription;
import io.wsbridge.bridge.route.Subscription.Handover;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.session.Outbox;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client that reads an application's events, whatever carries them: a WebSocket ({@link Subscriber}) or a
 * Server-Sent Events stream ({@link SseSubscriber}). What both share lives here: the route, group and filter it was
 * admitted with, its access (kept up by the server's {@code SessionAccess}), the catch-up from history
 * ({@code ?from=}), and its {@link Outbox} (bounded queue, overflow policy, batched writes, one in flight), so that
 * {@link #offer(Event)} never blocks the publisher. A transport supplies how a batch is written, how the client is
 * kept alive and how it is closed.
 *
 * <p>Over 300 lines because it is everything the two transports share (what a session was admitted with, its access,
 * its filter, the hand-over between catch-up and live events, the outbox and its writer), kept in one place so that
 * neither transport repeats it.
 */
public abstract class ClientSubscriber implements Subscription, AccessSession {

    private static final Logger log = LoggerFactory.getLogger(ClientSubscriber.class);
    /** Events written per network write at most; bounds the transport's own queue too. */
    static final int MAX_BATCH = 64;

    final SubscriberHost host;
    final String remote;
    final BridgeMetrics.ApplicationMeters meters;
    final Outbox<Event> outbox;
    private final String application;
    private final String channel;
    private final GroupKey group;
    private final String filterExpression;
    private volatile Filter filter;
    private final LongAdder sent = new LongAdder();
    private volatile Credentials credentials;
    private volatile AccessDecision access;
    /** Events the {@code drop-oldest} policy dropped since the last gap notice was written. */
    private final AtomicLong droppedUnannounced = new AtomicLong();
    /** The gap notice of the batch being written, if it has one. */
    private volatile Event gapNotice;
    /** The notice of what a resumed cursor pointed at and is no longer in Kafka, if there was one. */
    private volatile Event retentionNotice;
    /** Set while the subscriber catches up from history ({@code ?from=}); its live events go there first. */
    private volatile Catchup catchup;
    private volatile Cursor clusterPlace;
    /**
     * Group members only: the cursor of the last event queued, of the last event written, and where the member
     * started (the place of its group it resumed from, or the live position when it joined): what the group's place
     * is when the member leaves last.
     */
    private volatile String lastQueuedCursor;
    private volatile String lastWrittenCursor;
    private volatile Cursor startedAt;
    /**
     * Group members only: the events of the write in flight, which the consuming task must not commit past in cluster
     * mode ({@link #lowestUnsettled}), and which go to the group's other members if the member leaves before the write
     * completed ({@link #takeUnwritten}).
     */
    private volatile List<Event> inFlight = List.of();
    /** Who took what it had not written when it left; {@code null} while it leaves. */
    private volatile List<Handover> handover = List.of();
    private final boolean tracksInFlight;

    /**
     * A subscriber of {@code application} (and {@code channel}, group {@code groupId} and {@code filterExpression},
     * each may be {@code null}), admitted with {@code access}: its group is {@code access}'s principal's, and of its
     * filter.
     */
    /** When the next liveness check is due ({@link #livenessDue}); 0 before the first look. Timer thread only. */
    private long nextLivenessNanos;

    ClientSubscriber(SubscriberHost host, String application, String channel, String groupId,
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
        this.tracksInFlight = group != null;
        this.outbox = new Outbox<>(host.settings().queueCapacity(), host.settings().overflowPolicy(), MAX_BATCH,
                Outbox.FlushMode.ON_OFFER, null, new BatchWriter());
        if (group != null) {
            outbox.keepLeftBehind();
        }
    }

    /** Group members: it leaves, and is handing what it had not written over ({@link #handover()} is null until then). */
    void leaving() {
        handover = null;
    }

    /** Group members: the members that took what it had not written, once it left. */
    void handedOver(List<Handover> members) {
        handover = List.copyOf(members);
    }

    @Override
    public List<Handover> handover() {
        return handover;
    }

    /**
     * Group members: the events it was handed and had not written when it closed (those of the write in flight,
     * then the queued ones), in order, each handed out once: they go to the group's other members.
     */
    List<Event> takeUnwritten() {
        List<Event> unwritten = new ArrayList<>();
        List<Event> flying = inFlight;
        inFlight = List.of();
        flying.stream().filter(event -> !control(event)).forEach(unwritten::add);
        outbox.takeLeftBehind().stream().filter(event -> !control(event)).forEach(unwritten::add);
        return unwritten;
    }

    /** The transport's name, as metrics label it: {@code websocket} or {@code sse}. */
    public abstract String transport();

    /** Whether the transport takes writes yet; until it does, events wait in the queue. */
    abstract boolean writable();

    /**
     * Starts writing {@code batch} (never empty) and completes {@code done} once the connection took it all. The list
     * is reused once this returns.
     */
    abstract void writeBatch(List<Event> batch, Callback done);

    /**
     * Whether an item of a batch is a message of the bridge's own (a gap notice; a transport's keep-alive or closing
     * notice) rather than an event: not counted as sent, and no dispatch latency.
     */
    boolean control(Event item) {
        return item == gapNotice || item == retentionNotice;
    }

    /** A write failed: the outbox is closed; a transport whose connection does not report its own end ends here. */
    void writeFailed(Throwable cause) {
    }

    /** Keeps the connection alive, or closes it if the client has gone quiet for {@code timeoutNanos}. */
    abstract void checkLiveness(long nowNanos, long timeoutNanos);

    /**
     * Whether this subscriber's liveness check is due at {@code nowNanos}, once per {@code intervalNanos}; if so, the
     * next one is an interval later. The first is due at a random point of the second interval after the server
     * first looked: subscribers that connected together are not pinged together, and none is pinged sooner than an
     * interval after it connected. Called by the server's timer thread only.
     */
    boolean livenessDue(long nowNanos, long intervalNanos) {
        if (nextLivenessNanos == 0) {
            nextLivenessNanos = nowNanos + intervalNanos + 1 + ThreadLocalRandom.current().nextLong(intervalNanos);
        }
        if (nowNanos - nextLivenessNanos < 0) {
            return false;
        }
        nextLivenessNanos = nowNanos + intervalNanos;
        return true;
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
                // validated at admission: compiling the same text again does not fail
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

    /** Swaps in refreshed credentials; {@code SessionAccess} only calls this for the same principal. */
    @Override
    public void refreshed(Credentials newCredentials, AccessDecision newAccess) {
        this.credentials = newCredentials;
        this.access = newAccess;
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

    @Override
    public long handed() {
        return outbox.taken();
    }

    @Override
    public long settled() {
        return outbox.settled();
    }

    @Override
    public boolean gone() {
        return outbox.isClosed();
    }

    @Override
    public boolean catchingUp() {
        return catchup != null;
    }

    @Override
    public void lowestUnsettled(Map<PartitionId, Long> lowest) {
        if (outbox.isClosed()) {
            return;
        }
        Consumer<Event> add = event -> {
            if (event.hasPosition()) {
                lowest.merge(new PartitionId(event.topic(), event.partition()), event.offset(), Math::min);
            }
        };
        inFlight.forEach(add);
        outbox.forEachQueued(add);
        Catchup current = catchup;
        if (current != null) {
            current.lowestPending(lowest);
        }
    }

    /** Catches up with {@code catchup} before going live; call before the connection opens. */
    void catchUp(Catchup newCatchup) {
        this.catchup = newCatchup;
    }

    /**
     * Cluster mode: this member formed its group again on this bridge, which publishes some of the application's
     * partitions and kept the group's place there; its catch-up adds it to the places the consuming peers hand over.
     */
    @Override
    public void placed(Cursor place) {
        this.clusterPlace = place;
    }

    /** A group member resumes its group's place: if it leaves before it wrote anything, the place is still that. */
    void resumesGroupAt(Cursor place) {
        this.startedAt = place;
    }

    /** A group member joins the router at the live position {@code live}, unless it resumed its group's place. */
    void joinedAt(Cursor live) {
        if (startedAt == null) {
            startedAt = live;
        }
    }

    /**
     * Where this member's group stands if it left as its last member, once its last write settled
     * ({@link #whenWriteSettles}): after the last event it wrote if events it was handed were not written (they are
     * lost with its connection; a later member gets them again, and may so get again events that other members
     * wrote meanwhile: at least once), otherwise {@code left}, the live position when it left the router.
     */
    Cursor groupPlace(Cursor left) {
        String queued = lastQueuedCursor;
        String written = lastWrittenCursor;
        if (queued == null || queued.equals(written)) {
            return left; // everything handed to it was written
        }
        if (written == null) {
            return startedAt != null ? startedAt : left;
        }
        try {
            return Cursor.decode(written, application);
        } catch (CursorException e) {
            return left; // its own stream's cursor: does not happen
        }
    }

    /**
     * Runs {@code action} once the write in flight, if any, completed or failed: a client that closes may have got
     * the frames of a write whose completion is not reported yet, and what it did not get is known only then.
     */
    void whenWriteSettles(Runnable action) {
        outbox.whenWriteSettles(action);
    }

    /** Starts the catch-up, if any, once the subscriber has joined the router. */
    void startCatchup() {
        Catchup current = catchup;
        if (current != null) {
            current.start(); // after joining the router: the live events it buffers start before its attach point
        }
    }

    /** Ends the catch-up, if any: the subscriber is closing. */
    void endCatchup() {
        Catchup current = catchup;
        if (current != null) {
            catchup = null;
            current.close();
        }
    }

    /** What a {@link Catchup} needs of this subscriber. */
    Catchup.Target catchupTarget() {
        return new Catchup.Target() {
            @Override
            public boolean deliver(Event event) {
                // History holds every event of the application: the route's channel and the filter apply here, as
                // the router applies them to live events. A skipped event is taken: the position moves past it.
                return !wants(event) || ClientSubscriber.this.deliver(event);
            }

            @Override
            public int room() {
                return outbox.capacity() - outbox.size();
            }

            @Override
            public void gap(Gap gap) {
                Event notice = Notices.retentionGap(application, gap);
                retentionNotice = notice;
                ClientSubscriber.this.deliver(notice);
            }

            @Override
            public void fail(int closeCode, String reason) {
                close(closeCode, reason);
            }

            @Override
            public Cursor placed() {
                return clusterPlace;
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
            return current.matches(EventView.of(event));
        } catch (IllegalArgumentException e) {
            return current.failed();
        }
    }

    private boolean deliver(Event event) {
        if (group != null && event.cursor() != null) {
            lastQueuedCursor = event.cursor();
        }
        switch (outbox.offer(event)) {
            case CLOSED -> {
                return false;
            }
            case OVERFLOWED -> {
                meters.slowConsumerCloses().increment();
                log.info("Closing slow {} subscriber {} of '{}': {} events queued, overflow policy '{}'", transport(),
                        remote, application, outbox.capacity(), host.settings().overflowPolicy().configValue());
                close(CloseCodes.SLOW_CONSUMER, "subscriber too slow: " + outbox.capacity() + " events queued");
                return false;
            }
            case QUEUED_DROPPING_OLDEST -> {
                meters.dropped().increment();
                droppedUnannounced.incrementAndGet();
            }
            default -> {
                // queued; the outbox writes it, now or at the end of the batch
            }
        }
        return true;
    }

    /**
     * Hands the outbox's batches to the transport and, when one is written, records the dispatch latency and lets a
     * catch-up read on.
     */
    private final class BatchWriter implements Outbox.Writer<Event> {

        private long lastPublishedNanos;
        private String batchCursor;

        @Override
        public boolean ready() {
            return writable();
        }

        @Override
        public void write(List<Event> batch, Callback done) {
            long dropped = droppedUnannounced.getAndSet(0);
            if (dropped > 0) {
                // the dropped events were the oldest queued: the gap is just before this batch
                gapNotice = Notices.overflowGap(application, dropped);
                batch.add(0, gapNotice);
            }
            lastPublishedNanos = 0;
            Event lastStamped = null; // only the last one's cursor is needed, as text: not a String per event
            int count = 0;
            for (Event item : batch) {
                if (!control(item)) {
                    lastPublishedNanos = item.publishedNanos();
                    if (item.hasCursor()) {
                        lastStamped = item;
                    }
                    count++;
                }
            }
            batchCursor = lastStamped == null ? null : lastStamped.cursor();
            if (tracksInFlight) {
                inFlight = List.copyOf(batch);
            }
            writeBatch(batch, done);
            if (count > 0) {
                sent.add(count);
                meters.eventsOut().increment(count);
            }
        }

        @Override
        public void written() {
            if (tracksInFlight) {
                inFlight = List.of();
            }
            if (group != null && batchCursor != null) {
                lastWrittenCursor = batchCursor;
            }
            if (lastPublishedNanos != 0) {
                host.metrics().recordDispatch(meters, lastPublishedNanos);
            }
            Catchup current = catchup;
            if (current != null) {
                current.drained();
            }
        }

        @Override
        public void failed(Throwable cause) {
            log.debug("Writing to {} subscriber {} failed", transport(), remote, cause);
            writeFailed(cause);
        }
    }
}
