package io.wsbridge.bridge.resume;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.session.CloseCodes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one subscriber from a past position to the live stream, with no gap and no duplicate.
 *
 * <ol>
 * <li>The subscriber joins the router first; from then on its live events are {@linkplain #offerLive buffered}
 * (bounded) instead of sent.</li>
 * <li>Attach: under the stream's lock the buffer is emptied and the live position {@code L} read. Every live event
 * published later is in the buffer and lies at or after {@code L} in its partition.</li>
 * <li>Replay: each partition is read from its start up to {@code L} (or, for a partition the live stream does not
 * know, its log end offset read after attaching), only as fast as the subscriber's outbox has room. A partition is
 * done when the reading's position reaches the target: offsets are not contiguous (transaction markers, compaction),
 * so every comparison is {@code >=}, never {@code ==}.</li>
 * <li>If the buffer overflowed meanwhile, it is dropped and the subscriber attaches again: a later {@code L}, more to
 * replay. Otherwise, under the stream's lock, the buffered events at or after the subscriber's position are sent and
 * the subscriber goes live.</li>
 * <li>A subscriber further than the live stream somewhere stays <em>ahead</em> until the live stream catches up
 * ({@link LiveJoin}).</li>
 * </ol>
 * A cursor that points where retention already removed records, or names partitions that are gone, is first
 * announced to the subscriber as a {@link Gap}.
 *
 * <p>In cluster mode ({@link LiveBarrier}) other bridges publish most events, and forward only what this bridge's
 * interest asks for: the live position of this bridge says nothing of what they published. So the catch-up first
 * waits until every consuming peer has applied the interest that includes the subscriber, then attaches, and replays
 * every partition up to its log end offset read after attaching (and read again after an overflow): every record
 * past it reaches Kafka, and so a peer, after the subscriber's interest did.
 *
 * <p>Over 300 lines because the pump's states (begin, replay, done partitions, going live, re-attaching) share the
 * reading, the per-partition positions and targets under one lock; split, they would hand those around.
 */
public final class Catchup {

    private static final Logger log = LoggerFactory.getLogger(Catchup.class);
    static final int MAX_READ = 500; // records per read at most
    /** How long one run of the pump keeps a replay thread before it lets another replay have it. */
    private static final long SLICE_NANOS = 50_000_000L;

    /** What the catch-up needs of its subscriber. */
    public interface Target {

        /** Queues the event for sending; {@code false} if the subscriber is gone. */
        boolean deliver(Event event);

        /** Events the subscriber's queue takes now without its overflow policy applying. */
        int room();

        /**
         * Announces what the subscriber's cursor pointed at and cannot be replayed (retention removed it, or its
         * partition is gone); called at most once, before the first replayed event.
         */
        void gap(Gap gap);

        /** Ends the subscriber, e.g. when the history cannot be read. */
        void fail(int closeCode, String reason);

        /** The subscriber is live: it may offer events to its queue directly from now on. */
        void caughtUp();

        /**
         * Cluster mode: the place of the subscriber's group that this bridge kept itself, given when the subscriber
         * formed the group again here ({@link io.wsbridge.bridge.route.Subscription#placed}); {@code null} if none.
         */
        default Cursor placed() {
            return null;
        }
    }

    private final String application;
    private From from;
    private final LiveStream stream;
    private final History history;
    private final Executor executor;
    private final Target target;
    private final LiveJoin join;
    private final Runnable release;
    private final LiveBarrier barrier;
    private final BooleanSupplier slot;
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    // The pump's, guarded by pumpLock.
    private final Object pumpLock = new Object();
    private History.Reading reading;
    private boolean begun;
    private volatile boolean finished;
    private final TreeMap<PartitionId, Long> next = new TreeMap<>();
    private final Map<PartitionId, Long> targets = new HashMap<>();
    private final Set<PartitionId> open = new HashSet<>();
    private final Cursor.Writer writer = new Cursor.Writer();
    private long replayed;
    private long started;
    private CompletableFuture<Void> barrierPassed;
    private boolean retarget;

    /**
     * @param release called once when the catch-up no longer reads history (a replay slot is free again)
     */
    public Catchup(String application, From from, LiveStream stream, History history, Executor executor,
            Target target, int bufferCapacity, Runnable release) {
        this(application, from, stream, history, executor, target, bufferCapacity, release, null);
    }

    /**
     * @param release called once when the catch-up no longer reads history (a replay slot is free again)
     * @param barrier in cluster mode, what the catch-up waits for before it attaches; {@code null} otherwise
     */
    public Catchup(String application, From from, LiveStream stream, History history, Executor executor,
            Target target, int bufferCapacity, Runnable release, LiveBarrier barrier) {
        this(application, from, stream, history, executor, target, bufferCapacity, release, barrier, null);
    }

    /**
     * @param slot for a {@link From.GroupPlace} catch-up, which holds no replay slot until it turns out to have a
     *     place to replay from: takes one then, if one is free ({@code null}: the catch-up holds one already)
     */
    public Catchup(String application, From from, LiveStream stream, History history, Executor executor,
            Target target, int bufferCapacity, Runnable release, LiveBarrier barrier, BooleanSupplier slot) {
        this.slot = slot;
        this.application = application;
        this.from = from;
        this.stream = stream;
        this.history = history;
        this.executor = executor;
        this.target = target;
        this.join = new LiveJoin(stream, target, bufferCapacity);
        this.release = release;
        this.barrier = barrier;
    }

    /** Starts catching up; call once the subscriber receives live events ({@link #offerLive}). */
    public void start() {
        schedule();
    }

    /**
     * A live event for the subscriber, offered by a publisher that holds the stream's lock.
     *
     * @return {@code false} if the subscriber is gone
     */
    public boolean offerLive(Event event) {
        return join.offer(event);
    }

    /** The subscriber's queue has written a batch: there may be room for more history. */
    public void drained() {
        if (!finished && !scheduled.get()) {
            schedule();
        }
    }

    /** The subscriber is gone: stop reading and free the replay slot. */
    public void close() {
        join.close();
        schedule();
    }

    /** Adds where the live events it holds back start, while it is not live, to {@code lowest}. */
    public void lowestPending(Map<PartitionId, Long> lowest) {
        join.lowestPending(lowest);
    }

    /** Whether the subscriber still catches up from history (not live yet). */
    public boolean replaying() {
        return join.buffering();
    }

    /** Where the subscriber is further than the live stream (empty once it shares the live frames). */
    public Map<PartitionId, Long> ahead() {
        return join.ahead();
    }

    private boolean closed() {
        return join.closed();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::pump);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
                join.close();
                finish();
            }
        }
    }

    private void pump() {
        synchronized (pumpLock) {
            scheduled.set(false);
            if (finished) {
                return;
            }
            try {
                if (!closed() && !begun) {
                    if (!barrierPassed()) {
                        return; // the barrier's completion comes back
                    }
                    begin();
                }
                long deadline = System.nanoTime() + SLICE_NANOS;
                while (!closed()) {
                    if (open.isEmpty()) {
                        if (goLive()) {
                            break; // live, or closed
                        }
                        if (open.isEmpty()) {
                            return; // waits for room to send the buffer: drained() comes back
                        }
                        continue;
                    }
                    int room = target.room();
                    if (room <= 0) {
                        return; // drained() comes back
                    }
                    for (Event event : reading.read(Math.min(room, MAX_READ))) {
                        replay(event);
                    }
                    checkDone();
                    if (System.nanoTime() > deadline) {
                        schedule();
                        return;
                    }
                }
            } catch (History.HistoryException | RuntimeException e) {
                log.warn("Replaying '{}' for a subscriber failed: {}", application, e.toString());
                target.fail(CloseCodes.SERVER_BUSY, "cannot read the history now: try again later");
                join.close();
            }
            finish();
        }
    }

    /** Whether the catch-up may attach: outside cluster mode at once, in it once the barrier passed. */
    private boolean barrierPassed() throws History.HistoryException {
        if (barrier == null) {
            if (from instanceof From.GroupPlace group) {
                resolve(group, null);
            }
            return true;
        }
        if (barrierPassed == null) {
            barrierPassed = barrier.await();
            barrierPassed.whenComplete((done, failure) -> schedule());
        }
        if (!barrierPassed.isDone()) {
            return false;
        }
        try {
            barrierPassed.join();
            if (from instanceof From.GroupPlace group) {
                resolve(group, barrier.takePlace(group.id()));
            }
            return true;
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new History.HistoryException("the cluster's consuming workers did not confirm the subscriber's "
                    + "interest: " + cause, cause);
        }
    }

    /** Where the group's first member here starts; a place to replay from needs a replay slot (none: 1013). */
    private void resolve(From.GroupPlace group, Map<PartitionId, Long> answered) throws History.HistoryException {
        From resolved = groupPlace(group, answered);
        if (resolved instanceof From.Place place && slot != null && !slot.getAsBoolean()) {
            if (barrier != null) {
                barrier.keepPlace(group.id(), place.cursor().positions()); // for the group's next member here
            }
            throw new History.HistoryException("no replay slot is free for the place of the group", null);
        }
        from = resolved;
    }

    /**
     * Where the first member here of a group starts: the places the consuming bridges kept (this one's included),
     * earliest first where two name a partition (a partition that moved between bridges); {@code null} for none.
     */
    private From groupPlace(From.GroupPlace group, Map<PartitionId, Long> answered) {
        Map<PartitionId, Long> positions = new HashMap<>(answered == null ? Map.of() : answered);
        Cursor local = target.placed();
        if (local != null) {
            local.positions().forEach((partition, offset) -> positions.merge(partition, offset, Math::min));
        }
        if (positions.isEmpty()) {
            log.debug("The group of a subscriber of '{}' had no place: it starts live", application);
            return null;
        }
        return new From.Place(new Cursor(stream.applicationHash(), positions));
    }

    /** Attaches to the live stream and opens the reading. */
    private void begin() throws History.HistoryException {
        begun = true;
        started = System.nanoTime();
        Cursor live = join.attach();
        // Only topics this bridge publishes from, and in cluster mode those the connector's configuration names for
        // the application (other bridges publish them): a cursor is the client's, and naming a topic must not make
        // the bridge read it.
        Set<String> topics = new TreeSet<>(stream.topics());
        if (barrier != null) {
            topics.addAll(history.topics(application));
        }
        if (topics.isEmpty() || from == null) {
            return; // nothing of the application here: straight to live
        }
        reading = history.open(application, topics, from);
        announceGap();
        Map<PartitionId, Long> ends = reading.ends();
        for (Map.Entry<PartitionId, Long> start : reading.starts().entrySet()) {
            PartitionId partition = start.getKey();
            Long livePosition = barrier == null ? live.positions().get(partition) : null;
            long until = livePosition != null ? livePosition : ends.getOrDefault(partition, start.getValue());
            next.put(partition, start.getValue());
            targets.put(partition, until);
            if (start.getValue() < until) {
                open.add(partition);
            }
        }
        reading.only(Set.copyOf(open));
        log.info("Replaying '{}' from {} for a subscriber: {} partitions, up to {}", application, describe(),
                next.size(), targets);
    }

    /** A cursor's position that retention removed, or a partition of it that is gone, is announced first. */
    private void announceGap() {
        Cursor cursor = from instanceof From.After after ? after.cursor()
                : from instanceof From.Place place ? place.cursor() : null;
        if (cursor == null) {
            return;
        }
        TreeSet<PartitionId> gone = new TreeSet<>(cursor.positions().keySet());
        gone.removeAll(reading.starts().keySet());
        Gap gap = new Gap(new TreeMap<>(reading.lost()), gone);
        if (!gap.isEmpty()) {
            log.info("Subscriber of '{}' resumes past a gap: offsets removed by retention {}, partitions gone {}",
                    application, gap.removed(), gap.gone());
            target.gap(gap);
        }
    }

    private String describe() {
        return from instanceof From.At at ? at.time().toString()
                : from instanceof From.After ? "a cursor" : from instanceof From.Place ? "its group's place"
                : "the earliest record";
    }

    private void replay(Event event) {
        PartitionId partition = new PartitionId(event.topic(), event.partition());
        Long position = next.get(partition);
        Long until = targets.get(partition);
        if (position == null || until == null || event.offset() < position || event.offset() >= until) {
            return;
        }
        next.put(partition, event.offset() + 1);
        replayed++;
        if (!target.deliver(event.withCursor(Cursor.encodeAscii(writer, stream.applicationHash(), next)))) {
            join.close();
        }
    }

    /** Partitions whose reading reached their target are done; the subscriber's position is the target there. */
    private void checkDone() throws History.HistoryException {
        boolean changed = false;
        for (PartitionId partition : List.copyOf(open)) {
            long until = targets.get(partition);
            if (reading.position(partition) >= until || next.get(partition) >= until) {
                open.remove(partition);
                next.merge(partition, until, Math::max);
                changed = true;
            }
        }
        if (changed) {
            reading.only(Set.copyOf(open));
        }
    }

    /** @return {@code true} if live (or closed); {@code false} to replay further, or to wait for room */
    private boolean goLive() throws History.HistoryException {
        LiveJoin.Outcome outcome = join.goLive(next, this::reattach);
        if (outcome == LiveJoin.Outcome.REPLAY_FURTHER && retarget) {
            // cluster mode: the new attach point is where the log ends now, read after the buffer was reset
            retarget = false;
            if (reading != null) {
                extendTargets(reading.endsNow());
            }
        }
        if (outcome == LiveJoin.Outcome.LIVE) {
            Map<PartitionId, Long> ahead = join.ahead();
            log.info("Subscriber of '{}' is live after replaying {} events in {} ms{}", application, replayed,
                    (System.nanoTime() - started) / 1_000_000,
                    ahead.isEmpty() ? "" : "; ahead of the live stream in " + ahead);
        }
        return outcome == LiveJoin.Outcome.LIVE || outcome == LiveJoin.Outcome.CLOSED;
    }

    private void reattach(Cursor live) {
        if (barrier != null) {
            retarget = true; // under the stream's lock: Kafka is asked once it is released
            return;
        }
        extendTargets(live.positions());
    }

    private void extendTargets(Map<PartitionId, Long> positions) {
        if (reading == null) {
            return;
        }
        positions.forEach((partition, position) -> {
            Long until = targets.get(partition);
            if (until != null && position > until) {
                targets.put(partition, position);
                long from = next.get(partition);
                if (from < position && open.add(partition)) {
                    reading.seek(partition, from); // it may have read past the old target already
                }
            }
        });
        reading.only(Set.copyOf(open));
        log.debug("Subscriber of '{}' replays further, up to {}: its live buffer overflowed", application, targets);
    }

    private void finish() {
        finished = true;
        if (reading != null) {
            try {
                reading.close();
            } catch (RuntimeException e) {
                log.debug("Closing a reading of '{}' failed", application, e);
            }
            reading = null;
        }
        if (released.compareAndSet(false, true)) {
            release.run();
        }
    }
}
