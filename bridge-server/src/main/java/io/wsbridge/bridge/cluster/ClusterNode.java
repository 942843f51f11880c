package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.LiveBarrier;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.GroupPlaces;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.route.Subscription;
import io.wsbridge.bridge.session.CloseCodes;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import io.wsbridge.bridge.util.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bridge's part in a cluster of bridges (one per Connect worker, all fed by the same connector).
 *
 * <ul>
 *   <li><b>Pulling:</b> it keeps a {@link PeerLink} to every peer that consumes events (the peer set comes from
 *       Connect's cluster state, through the REST extension) and sends each the interest of its local subscribers:
 *       a snapshot in bounded parts when the link opens (or the peer asks for one), then deltas after changes. What
 *       the peers forward goes to local subscribers only.</li>
 *   <li><b>Serving:</b> it accepts links from peers with the cluster secret ({@link PeerSession}): their interest
 *       becomes proxies in the router, so the events its tasks publish reach them once per peer, and groups spread
 *       over members cluster-wide.</li>
 * </ul>
 *
 * Links are kept to every consuming peer whether or not there are local subscribers: a new subscriber then only waits
 * for one interest message, not for a connection. Interest messages go out in order on one thread of its own.
 *
 * <p>Over 300 lines because it is the one place that knows the cluster's moving parts (peers, links both
 * ways, interest, readiness); the parts themselves are classes of their own ({@link PeerLink}, {@link PeerSession},
 * {@link PeerClient}, {@link ProxySet}, {@link HandedPlaces}).
 */
public final class ClusterNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    /** A link's queue holds this many times a subscriber's: it carries the events of all the peer's subscribers. */
    static final int LINK_QUEUE_FACTOR = 4;
    /** How often a link acknowledges what the local group members wrote of what the peer forwarded. */
    static final Duration ACK_INTERVAL = Duration.ofMillis(100);
    /** How often linked peers are told the live positions that moved ({@link PeerSession#sendMovedPositions}). */
    static final Duration POSITIONS_INTERVAL = Duration.ofSeconds(1);
    /** How long a group place that a peer handed over waits for the member that asked for it. */
    static final Duration HANDED_PLACE_LIFETIME = Duration.ofSeconds(30);

    private final ClusterSettings cluster;
    private final LocalServer server;
    private final Router router;
    private final PeerAuth auth;
    private final LongSupplier nanoClock;
    private final Map<PeerAddress, PeerLink> links = new ConcurrentHashMap<>();
    private final Set<PeerSession> inbound = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean publishPending = new AtomicBoolean();
    private final HandedPlaces handed = new HandedPlaces();
    /** Copies of the places consuming peers keep, for when they die. */
    private final KeptCopies copies = new KeptCopies();
    /** Changes of the places kept here, waiting to go to every linked peer. */
    private final PlacesToHand keptOut = new PlacesToHand("linked peers");
    private final AtomicBoolean keptPending = new AtomicBoolean();
    private volatile GroupPlaces keeper;
    /** The bridges linked to each consuming peer, as it last said ({@link InterestCodec.Workers}). */
    private final Map<String, Set<String>> workersSeen = new ConcurrentHashMap<>();
    /** How often {@link #awaitLinked} looks again. */
    private static final long AWAIT_POLL_MILLIS = 50;
    private final Object lifecycle = new Object();
    private volatile Set<PeerAddress> peers = Set.of();
    private volatile String name;
    private ScheduledThreadPoolExecutor executor;
    private PeerClient peerClient;
    private boolean closed;

    public ClusterNode(ClusterSettings cluster, LocalServer server, Router router) {
        this(cluster, server, router, System::nanoTime);
    }

    ClusterNode(ClusterSettings cluster, LocalServer server, Router router, LongSupplier nanoClock) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.server = server;
        this.router = router;
        this.auth = new PeerAuth(cluster.secret());
        this.nanoClock = nanoClock;
    }

    /** Starts the client for peer links and announces interest changes from now on. The server must be started. */
    public void start() {
        synchronized (lifecycle) {
            String host = cluster.advertisedHost() == null ? server.settings().host() : cluster.advertisedHost();
            name = new PeerAddress(host, server.port()).toString();
            String threadName = "wsbridge-" + server.port() + "-cluster";
            executor = new ScheduledThreadPoolExecutor(1, DaemonThreads.named(threadName));
            executor.setRemoveOnCancelPolicy(true);
            try {
                peerClient = PeerClient.start(server.settings(), threadName);
            } catch (Exception e) {
                executor.shutdownNow();
                throw new IllegalStateException("cannot start the client for peer links", e);
            }
            long ping = server.settings().pingInterval().toMillis();
            executor.scheduleWithFixedDelay(() -> links.values().forEach(PeerLink::ping), ping, ping,
                    TimeUnit.MILLISECONDS);
            executor.scheduleWithFixedDelay(this::acknowledge, ACK_INTERVAL.toMillis(), ACK_INTERVAL.toMillis(),
                    TimeUnit.MILLISECONDS);
            executor.scheduleWithFixedDelay(this::sendMovedPositions,
                    POSITIONS_INTERVAL.toMillis(), POSITIONS_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }
        router.onLocalChange(this::interestChanged);
        router.afterPublish(this::flushInbound);
        // groups whose last member (here or on a peer) leaves keep their place in the partitions published here, and
        // every linked peer keeps a copy
        GroupPlaces places = new GroupPlaces(() -> server.settings().groupRetention(), nanoClock);
        places.listen(this::placeChanged);
        keeper = places;
        router.keepGroupPlaces(places);
        log.info("Cluster mode on {}: accepting peer links on {}", name, PeerProtocol.PATH);
    }

    /** This bridge's name among its peers: advertised host and port. */
    public String name() {
        return name;
    }

    /**
     * Sets the peers that consume events (this bridge itself is ignored): links to new ones are opened, links to
     * peers no longer in the set are closed.
     */
    public void peers(Set<PeerAddress> consuming) {
        Set<PeerAddress> wanted = new HashSet<>(consuming);
        wanted.removeIf(peer -> peer.toString().equals(name));
        execute(() -> {
            if (wanted.equals(peers)) {
                return;
            }
            peers = Set.copyOf(wanted);
            links.entrySet().removeIf(entry -> {
                if (!wanted.contains(entry.getKey())) {
                    log.info("Peer {} no longer consumes events; unlinking", entry.getKey());
                    entry.getValue().close();
                    return true;
                }
                return false;
            });
            for (PeerAddress peer : wanted) {
                links.computeIfAbsent(peer, address -> {
                    PeerLink link = new PeerLink(this, address);
                    link.start();
                    return link;
                });
            }
        });
    }

    /** The consuming peers this bridge links to. */
    public Set<PeerAddress> peers() {
        return peers;
    }

    /** Whether the link to {@code peer} is open. */
    public boolean linked(PeerAddress peer) {
        PeerLink link = links.get(peer);
        return link != null && link.isUp();
    }

    /**
     * Per partition, the earliest event handed to a group (a local member, or a member on a linked peer) that is not
     * written yet, or not acknowledged by the peer: the consuming task commits no further, so that if this worker
     * dies, the partition's next owner reads those events again and deals them to the groups.
     */
    public Map<PartitionId, Long> groupHoldback() {
        Map<PartitionId, Long> lowest = new HashMap<>();
        router.forEachLocalGroupMember(member -> member.lowestUnsettled(lowest));
        inbound.forEach(session -> session.lowestUnacked(lowest));
        return lowest;
    }

    /** Messages written to linked peers that carried events for their groups and are not acknowledged yet. */
    int unacknowledged() {
        return inbound.stream().mapToInt(PeerSession::unacknowledged).sum();
    }

    /** Peers linked to this bridge (their links are inbound). */
    public int inboundLinks() {
        return inbound.size();
    }

    /**
     * Why the bridge is not ready, or {@code null}: a known consuming peer without an open link, for at most
     * {@link ClusterSettings#unreadyLimit()} after the link went down (or the peer became known).
     */
    public String notReadyReason() {
        long now = nanoClock.getAsLong();
        long limit = cluster.unreadyLimit().toNanos();
        for (PeerLink link : links.values()) {
            if (!link.isUp() && now - link.downSinceNanos() < limit) {
                return "no link to peer " + link.address() + " (" + link.lastFailure() + ")";
            }
        }
        return null;
    }

    /** Group places that consuming peers handed over in their sync answers ({@link PeerLink#sync}). */
    void placesHanded(Map<String, Map<PartitionId, Long>> places) {
        handed.add(places, nanoTime());
    }

    /**
     * Takes the place that consuming peers handed over for the group {@code id}, or {@code null}. The member that asked
     * takes it as soon as its sync is answered: one older than {@link #HANDED_PLACE_LIFETIME} (its member left first,
     * or a link that came back handed over places of groups that never left) is stale.
     */
    public Map<PartitionId, Long> takePlace(String id) {
        Map<PartitionId, Long> place = handed.take(id, nanoTime(), HANDED_PLACE_LIFETIME);
        Set<String> consuming = new HashSet<>();
        peers.forEach(peer -> consuming.add(peer.toString()));
        Map<PartitionId, Long> copied = copies.take(id, peer -> !consuming.contains(peer), nanoTime());
        if (copied.isEmpty()) {
            return place;
        }
        // a peer that kept it no longer consumes (it died): its copy covers the partitions it read
        Map<PartitionId, Long> merged = new HashMap<>(copied);
        if (place != null) {
            place.forEach((partition, offset) -> merged.merge(partition, offset, Math::min));
        }
        log.info("A group formed again with the place that a peer which no longer consumes had kept ({} partitions)",
                copied.size());
        return merged;
    }

    /** A consuming peer's kept places changed ({@link InterestCodec.Kept}). */
    void placesKept(String peer, Map<String, Map<PartitionId, Long>> places) {
        copies.update(peer, places, nanoTime(), server.settings().groupRetention().toNanos());
    }

    /** Copies of kept places from consuming peers. */
    int placeCopies() {
        return copies.size();
    }

    /** A place kept here changed: every linked peer gets a copy (under the places' lock: only noted here). */
    private void placeChanged(String application, GroupKey group, Cursor place) {
        keptOut.add(group.placeId(application), place == null ? Map.of() : place.positions());
        if (keptPending.compareAndSet(false, true)) {
            execute(this::sendKept);
        }
    }

    private void sendKept() {
        keptPending.set(false);
        for (List<String> chunk = keptOut.take(); !chunk.isEmpty(); chunk = keptOut.take()) {
            String text = InterestCodec.kept(chunk);
            inbound.forEach(session -> session.sendText(text));
        }
    }

    /** Keeps a place {@link #takePlace} gave for the group's next member here. */
    public void keepPlace(String id, Map<PartitionId, Long> positions) {
        handed.add(Map.of(id, positions), nanoTime());
    }

    /**
     * Completes once every consuming peer has applied this bridge's interest as it is now: every event a peer
     * publishes after that reaches the local subscribers in the router now. Fails when a consuming peer has no open
     * link (its events would not reach them), or after {@code timeout}.
     */
    /** The {@link LiveBarrier} of this node: {@link #interestApplied} within {@code timeout}, and its places. */
    public LiveBarrier liveBarrier(Duration timeout) {
        return new LiveBarrier() {
            @Override
            public CompletableFuture<Void> await() {
                return interestApplied(timeout);
            }

            @Override
            public Map<PartitionId, Long> takePlace(String id) {
                return ClusterNode.this.takePlace(id);
            }

            @Override
            public void keepPlace(String id, Map<PartitionId, Long> positions) {
                ClusterNode.this.keepPlace(id, positions);
            }
        };
    }

    public CompletableFuture<Void> interestApplied(Duration timeout) {
        CompletableFuture<Void> applied = new CompletableFuture<>();
        // After the interest announcements already queued on the cluster thread: the sync follows them on each link.
        execute(() -> {
            List<CompletableFuture<Void>> answers = new ArrayList<>();
            for (PeerAddress peer : peers) {
                PeerLink link = links.get(peer);
                answers.add(link == null ? CompletableFuture.failedFuture(
                        new IllegalStateException("no link to peer " + peer)) : link.sync());
            }
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).whenComplete((done, failure) -> {
                if (failure == null) {
                    applied.complete(null);
                } else {
                    applied.completeExceptionally(failure);
                }
            });
        });
        return applied.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- for links, sessions and the negotiator

    Router router() {
        return router;
    }

    BridgeMetrics metrics() {
        return server.metrics();
    }

    BridgeSettings settings() {
        return server.settings();
    }

    ClusterSettings cluster() {
        return cluster;
    }

    PeerAuth auth() {
        return auth;
    }

    /**
     * Whether a peer that addresses {@code target} ({@code host:port}) means this bridge: its name, or the host of its
     * Connect worker id (at which peers dial it) with its port.
     */
    boolean isSelf(String target) {
        if (target.equalsIgnoreCase(name)) {
            return true;
        }
        String workerHost = cluster.workerHost();
        return workerHost != null && target.equalsIgnoreCase(new PeerAddress(workerHost, server.port()).toString());
    }

    WebSocketCoreClient client() {
        return peerClient.client();
    }

    String scheme() {
        return server.settings().scheme();
    }

    long nanoTime() {
        return nanoClock.getAsLong();
    }

    int linkCapacity() {
        return server.settings().queueCapacity() * LINK_QUEUE_FACTOR;
    }

    /** Creates the application's meters (with the proxy gauge) when a peer first shows interest in it. */
    void applicationSeen(String application) {
        server.meters(application);
    }

    PeerSession newSession(String peer, String remote, boolean acks, boolean positions) {
        BridgeSettings settings = server.settings();
        return new PeerSession(this, peer, remote, linkCapacity(), settings.overflowPolicy(), acks, positions);
    }

    /**
     * The link of {@code peer} ended with {@code messages} unacknowledged: their events go again to the groups they
     * were handed to, on the cluster thread ({@link Router#redeal}).
     */
    void redeal(String peer, List<ForwardMessage> messages) {
        if (messages.isEmpty()) {
            return;
        }
        execute(() -> {
            int groups = 0;
            for (ForwardMessage message : messages) {
                groups += router.redeal(message.event, message.groups);
            }
            metrics().peer(peer).redealt().increment(messages.size());
            log.info("The link of peer {} ended before it confirmed {} events for its groups' members: dealt again "
                    + "to {} groups (or their places moved back)", peer, messages.size(), groups);
        });
    }

    /** The bridges linked to the consuming peer {@code peer}, as it says. */
    void workersSeen(String peer, Set<String> names) {
        workersSeen.put(peer, Set.copyOf(names));
    }

    /** Tells every linked peer which bridges are linked here (after a link opened or closed). */
    private void announceWorkers() {
        synchronized (lifecycle) {
            if (closed) {
                return; // a bridge that stops says nothing of the others: they did not go
            }
        }
        execute(() -> {
            Set<String> names = new HashSet<>();
            inbound.forEach(session -> names.add(session.peer()));
            String text = InterestCodec.workers(names);
            inbound.forEach(session -> session.sendText(text));
        });
    }

    /**
     * Waits, for at most {@code timeout}, until every bridge of the cluster this one knows of (those linked to the
     * consuming peers, as they said, except peers it cannot reach) has linked to this one and its subscribers are
     * known: a task that starts here then deals the events it reads to every group member of the cluster, not only
     * to those whose bridges happened to link first. Called on the task's thread when partitions are assigned.
     *
     * @return the bridges that did not link in time (empty if all did)
     */
    public Set<String> awaitLinked(Duration timeout) throws InterruptedException {
        long deadline = nanoClock.getAsLong() + timeout.toNanos();
        while (true) {
            Set<String> missing = new HashSet<>();
            workersSeen.values().forEach(missing::addAll);
            missing.remove(name);
            links.forEach((address, link) -> {
                if (!link.isUp()) {
                    missing.remove(address.toString()); // a consuming peer that is gone, most likely
                }
            });
            inbound.forEach(session -> {
                if (session.interestKnown()) {
                    missing.remove(session.peer());
                }
            });
            if (missing.isEmpty() || nanoClock.getAsLong() - deadline >= 0) {
                if (!missing.isEmpty()) {
                    log.warn("Starting to publish before {} linked to this bridge (waited {} ms): their group members"
                            + " may miss what is read until they do", missing, timeout.toMillis());
                }
                return missing;
            }
            Thread.sleep(AWAIT_POLL_MILLIS);
        }
    }

    void inboundOpened(PeerSession session) {
        inbound.add(session);
        announceWorkers();
        GroupPlaces places = keeper;
        if (places != null) {
            // the places kept so far, then (on the same thread) every change
            execute(() -> {
                PlacesToHand all = new PlacesToHand(session.peer());
                places.forEach((application, group, place) -> all.add(application, group, place));
                for (List<String> chunk = all.take(); !chunk.isEmpty(); chunk = all.take()) {
                    session.sendText(InterestCodec.kept(chunk));
                }
            });
        }
        boolean stopped;
        synchronized (lifecycle) {
            stopped = closed;
        }
        if (stopped) {
            session.close(CloseCodes.GOING_AWAY, "bridge stopping");
        }
    }

    void inboundClosed(PeerSession session) {
        inbound.remove(session);
        announceWorkers();
    }

    void linkUp(PeerLink link) {
        execute(() -> link.sendInterest(localEntries(), true));
    }

    /** The peer behind {@code link} asked for a fresh snapshot of this bridge's interest. */
    void resync(PeerLink link) {
        execute(() -> link.sendInterest(localEntries(), true));
    }

    /** A consuming peer's live position in the partitions of {@code application} it publishes. */
    void positionsForwarded(String application, Map<PartitionId, Long> positions) {
        router.streams().of(application).forwardedPositions(positions);
    }

    /** @param takers told of each local group member that takes the event, or {@code null} */
    void deliver(ForwardCodec.Forwarded forwarded, Consumer<Subscription> takers) {
        router.deliverLocally(forwarded.event(), forwarded.plain(), forwarded.groups(), takers);
    }

    /**
     * The peer closed the link because this bridge read too slowly (the {@code close} overflow policy): events for
     * local subscribers were lost, so they are closed with 1013 too, as a slow subscriber would be, and reconnect.
     */
    void linkOverflowed(PeerLink link) {
        server.closeLocalSubscribers(CloseCodes.SLOW_CONSUMER, "events from peer " + link.address() + " were lost");
    }

    void schedule(Runnable task, Duration delay) {
        try {
            ScheduledThreadPoolExecutor current = executor;
            if (current != null) {
                current.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (RejectedExecutionException e) {
            log.debug("Cluster node stopping; task not scheduled");
        }
    }

    private void execute(Runnable task) {
        try {
            ScheduledThreadPoolExecutor current = executor;
            if (current != null) {
                current.execute(() -> {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        log.warn("Cluster task failed", e);
                    }
                });
            }
        } catch (RejectedExecutionException e) {
            log.debug("Cluster node stopping; task dropped");
        }
    }

    /**
     * Acknowledges on every link what the local group members are done with; interest changes still pending go out
     * with it ({@link #publishInterest}).
     */
    private void acknowledge() {
        if (publishPending.get()) {
            publishInterest();
        } else {
            links.values().forEach(PeerLink::acknowledge);
        }
    }

    private void sendMovedPositions() {
        try {
            inbound.forEach(PeerSession::sendMovedPositions);
        } catch (RuntimeException e) {
            log.warn("Sending live positions to peers failed", e);
        }
    }

    private void flushInbound() {
        for (PeerSession session : inbound) {
            session.flush();
        }
    }

    private void interestChanged() {
        if (publishPending.compareAndSet(false, true)) {
            execute(this::publishInterest);
        }
    }

    private void publishInterest() {
        publishPending.set(false);
        // What is written goes out before the interest: the peer deals again only what a member that left did not
        // write. A member that closed and was out of the router before the interest was computed has left, in the
        // peer's eyes, once the interest went out.
        links.values().forEach(PeerLink::acknowledge);
        Set<Subscription> members = Collections.newSetFromMap(new IdentityHashMap<>());
        router.forEachLocalGroupMember(members::add);
        Map<InterestEntry, Integer> entries = localEntries();
        links.values().forEach(link -> {
            link.sendInterest(entries, false);
            link.interestSent(members);
            link.acknowledge();
        });
        log.debug("Announced interest ({} entries) to {} peers", entries.size(), links.size());
    }

    /** The interest of local subscribers, as entries; one that no peer would accept is left out, with a warning. */
    private Map<InterestEntry, Integer> localEntries() {
        Map<InterestEntry, Integer> entries = InterestEntry.of(router.localInterest());
        entries.keySet().removeIf(entry -> {
            String problem = InterestCodec.problem(entry);
            if (problem != null) {
                log.warn("Not announcing {} to peers: {}", InterestCodec.describe(entry), problem);
            }
            return problem != null;
        });
        return Collections.unmodifiableMap(entries);
    }

    /** Closes the links both ways and stops the client. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        router.onLocalChange(() -> { });
        router.afterPublish(null);
        router.keepGroupPlaces(null);
        links.values().forEach(PeerLink::close);
        links.clear();
        for (PeerSession session : inbound) {
            session.close(CloseCodes.GOING_AWAY, "bridge stopping");
        }
        if (executor != null) {
            executor.shutdownNow();
        }
        try {
            if (peerClient != null) {
                peerClient.close();
            }
        } catch (Exception e) {
            log.warn("Stopping the client for peer links failed", e);
        }
        log.info("Cluster mode on {} stopped", name);
    }
}
