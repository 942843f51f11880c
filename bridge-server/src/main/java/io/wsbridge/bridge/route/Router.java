package io.wsbridge.bridge.route;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventBus;
import io.wsbridge.bridge.filter.Filter;
import io.wsbridge.bridge.filter.Filters;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.LiveStream;
import io.wsbridge.bridge.resume.LiveStreams;
import io.wsbridge.bridge.resume.PartitionId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Decides who gets which event: every plain subscriber of the event's application (and channel), and one member of
 * each of the application's groups. A group is identified by its {@link GroupKey} (principal, group id, channel), so
 * members of different principals never share a stream. Routing is lock-free; joins and leaves copy small arrays.
 *
 * <p>In cluster mode the router also holds proxies ({@link Subscription#remote()}) of subscribers connected to other
 * bridges: {@link #publish} treats them like local subscribers, {@link #deliverLocally} (events a peer forwarded)
 * skips them, so an event is never forwarded twice.
 *
 * <p>Each event is first placed in its application's {@link LiveStream}, under the stream's lock until every
 * subscriber has it: an event below its partition's position (published before) is dropped, and an event that
 * subscribers take is stamped once with the stream's cursor after it.
 *
 * <p>Over 300 lines because every change of who gets what (publishing, joins and leaves that keep group places,
 * dealing again what a member or a peer did not write) takes the same stream lock and must be read together.
 */
public final class Router implements EventBus {

    private final Map<String, ApplicationRoute> routes = new ConcurrentHashMap<>();
    private final Filters filters = new Filters();
    private final LongAdder published = new LongAdder();
    private final LongAdder unrouted = new LongAdder();
    private final LongAdder repeated = new LongAdder();
    private final LongAdder regrouped = new LongAdder();
    private final LiveStreams streams = new LiveStreams();
    private volatile Runnable localChangeListener = () -> { };
    private volatile Runnable afterPublish;
    private volatile GroupPlaces places;

    public void add(Subscription subscription) {
        GroupPlaces keeper = places;
        GroupKey key = subscription.group();
        if (keeper != null && key != null) {
            // While places are kept, every join and leave of a group holds its stream's lock: every event published
            // before the group formed again is after its place and before the live stream its new member gets.
            synchronized (streams.of(subscription.application())) {
                boolean forms = groupSize(subscription.application(), key) == 0;
                addToRoute(subscription);
                Cursor place = forms ? keeper.take(subscription.application(), key) : null;
                if (place != null) {
                    subscription.placed(place);
                }
            }
        } else {
            addToRoute(subscription);
        }
        if (!subscription.remote()) {
            localChangeListener.run();
        }
    }

    private void addToRoute(Subscription subscription) {
        routes.compute(subscription.application(), (application, route) -> {
            ApplicationRoute target = route == null ? new ApplicationRoute() : route;
            target.add(subscription);
            return target;
        });
    }

    public void remove(Subscription subscription) {
        GroupPlaces keeper = places;
        GroupKey key = subscription.group();
        if (keeper != null && key != null) {
            LiveStream stream = streams.of(subscription.application());
            synchronized (stream) {
                removeFromRoute(subscription);
                Cursor place = groupSize(subscription.application(), key) == 0 ? stream.localSnapshot() : null;
                if (place != null && !place.positions().isEmpty()) {
                    keeper.keep(subscription.application(), key, place);
                }
            }
        } else {
            removeFromRoute(subscription);
        }
        if (!subscription.remote()) {
            localChangeListener.run();
        }
    }

    /** Members of the group here and, as proxies, on peers. */
    private int groupSize(String application, GroupKey group) {
        ApplicationRoute route = routes.get(application);
        return route == null ? 0 : route.groupSize(group);
    }

    private void removeFromRoute(Subscription subscription) {
        routes.computeIfPresent(subscription.application(),
                (application, route) -> route.remove(subscription) ? null : route);
    }

    /**
     * Cluster mode: keeps the place of a group whose last member, here or on a peer, left: the position in the
     * partitions this bridge publishes; the subscription that forms the group again within the retention time is
     * {@linkplain Subscription#placed told} it. {@code null}: keeps none.
     */
    public void keepGroupPlaces(GroupPlaces keeper) {
        this.places = keeper;
    }

    /**
     * Called after each join or leave of a local subscription (not of a proxy), on the caller's thread: it must be
     * quick and must not call back into the router synchronously.
     */
    public void onLocalChange(Runnable listener) {
        this.localChangeListener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Called after each {@link #publish}, once the event was offered to everyone who takes it. Proxies of remote
     * subscribers queue without writing, and write here: so the offers of one event to the proxies of one peer (its
     * plain subscribers, members of its groups) leave as one forwarded message.
     */
    public void afterPublish(Runnable hook) {
        this.afterPublish = hook;
    }

    /** The live position of every application's stream. */
    public LiveStreams streams() {
        return streams;
    }

    @Override
    public void publish(Event event) {
        published.increment();
        LiveStream stream = streams.of(event.application());
        synchronized (stream) {
            ApplicationRoute route = routes.get(event.application());
            if (stream.advance(event)) {
                if (route == null || !route.deliver(event.hasPosition() ? stream.stamp(event) : event)) {
                    unrouted.increment();
                }
            } else {
                repeated.increment();
                if (route != null && stream.regroups(event) && route.deliverToGroups(stream.stamp(event))) {
                    regrouped.increment();
                }
            }
        }
        if (event.hasPosition()) { // after the event is in its stream, never before: see SharedPositions
            streams.shared().published(event.topic(), event.partition(), event.offset());
        }
        Runnable hook = afterPublish;
        if (hook != null) {
            hook.run();
        }
    }

    /**
     * Delivers an event that a peer forwarded, to local subscriptions only: every plain subscriber (channel filter
     * applied) if {@code plain}, and one local member of each of {@code groups}.
     *
     * @return {@code true} if a subscriber took it
     */
    public boolean deliverLocally(Event event, boolean plain, List<GroupKey> groups) {
        return deliverLocally(event, plain, groups, null);
    }

    /** As {@link #deliverLocally(Event, boolean, List)}; {@code takers} is told of each group member that took it. */
    public boolean deliverLocally(Event event, boolean plain, List<GroupKey> groups, Consumer<Subscription> takers) {
        LiveStream stream = streams.of(event.application());
        synchronized (stream) {
            // Delivered even when its position was passed: one event may reach this bridge in several forwarded
            // messages, each naming other groups (the peer merges the offers of one event into one message only
            // while they wait in its queue, and a write may take the message in between). Dropping the later ones
            // lost events; a peer that restarts may so repeat some, as cluster mode allows.
            stream.advanceForwarded(event);
            ApplicationRoute route = routes.get(event.application());
            boolean delivered = route != null
                    && route.deliverLocally(event.hasPosition() ? stream.stamp(event) : event, plain, groups, takers);
            if (!delivered) {
                unrouted.increment();
            }
            return delivered;
        }
    }

    /**
     * Cluster mode: deals again an event that was handed to members of {@code groups} on a peer whose link dropped
     * before the peer confirmed it was written. Each group that still has a member (here or on another peer) gets
     * it once more, after newer events; a group whose last member is gone has its kept place moved back to it. The
     * event may so reach a group twice, if the peer wrote it after all, but is not lost.
     *
     * @return how many groups got it again or had their place moved back
     */
    public int redeal(Event event, List<GroupKey> groups) {
        int redealt = 0;
        LiveStream stream = streams.of(event.application());
        synchronized (stream) {
            ApplicationRoute route = routes.get(event.application());
            GroupPlaces keeper = places;
            for (GroupKey key : groups) {
                GroupBalancer group = route == null ? null : route.group(key);
                if (group != null && group.deliver(event)) {
                    redealt++;
                } else if (keeper != null && event.hasPosition() && keeper.lower(event.application(), key,
                        new PartitionId(event.topic(), event.partition()), event.offset())) {
                    redealt++;
                }
            }
        }
        Runnable hook = afterPublish;
        if (hook != null) {
            hook.run();
        }
        return redealt;
    }

    /**
     * A group member that left hands what it had been handed and had not written to the group's other members, each
     * event to the next in turn, after newer events. An event another bridge published and forwarded here goes to a
     * member connected here only: this bridge tells that peer it is done with the event only once that member wrote
     * it. With no member left to take one, a kept place of the group moves back to it (cluster mode); on one worker
     * the place its last member left is before it already.
     *
     * @return the local members that took some, each with how many events it had taken then
     */
    public List<Subscription.Handover> handOver(String application, GroupKey key, List<Event> events) {
        List<Subscription.Handover> handover = new ArrayList<>();
        LiveStream stream = streams.of(application);
        synchronized (stream) {
            ApplicationRoute route = routes.get(application);
            GroupBalancer group = route == null ? null : route.group(key);
            Set<PartitionId> publishedHere = stream.localSnapshot().positions().keySet();
            Map<Subscription, Boolean> takers = new IdentityHashMap<>();
            for (Event event : events) {
                PartitionId partition = event.hasPosition() ? new PartitionId(event.topic(), event.partition()) : null;
                boolean forwarded = partition != null && !publishedHere.contains(partition);
                Subscription taker = group == null ? null
                        : forwarded ? group.deliverLocally(event) : group.deliverTo(event);
                if (taker != null) {
                    takers.put(taker, Boolean.TRUE);
                } else if (places != null && partition != null) {
                    places.lower(application, key, partition, event.offset());
                }
            }
            takers.keySet().stream().filter(taker -> !taker.remote())
                    .forEach(taker -> handover.add(new Subscription.Handover(taker, taker.handed())));
        }
        Runnable hook = afterPublish;
        if (hook != null) {
            hook.run();
        }
        return handover;
    }

    /**
     * Calls {@code action} with every member of a group connected to this bridge (proxies excluded), application
     * by application; members that join or leave meanwhile may or may not be seen.
     */
    public void forEachLocalGroupMember(Consumer<Subscription> action) {
        routes.values().forEach(route -> route.forEachLocalGroupMember(action));
    }

    /** The interest of the subscribers connected to this bridge (proxies excluded), to announce to peers. */
    public Interest localInterest() {
        Map<String, Interest.Application> applications = new HashMap<>();
        routes.forEach((application, route) -> {
            Interest.Application interest = route.localInterest();
            if (!interest.isEmpty()) {
                applications.put(application, interest);
            }
        });
        return new Interest(applications);
    }

    /** Subscribers of the application connected to this bridge, group members included; proxies not counted. */
    public int subscribers(String application) {
        ApplicationRoute route = routes.get(application);
        return route == null ? 0 : route.localSize();
    }

    /** Proxies of subscribers on other bridges: one per peer with plain subscribers, one per remote group member. */
    public int remoteSubscriptions(String application) {
        ApplicationRoute route = routes.get(application);
        return route == null ? 0 : route.size() - route.localSize();
    }

    /** Whether the application has a subscription here, a proxy of a peer's subscriber included. */
    public boolean serves(String application) {
        return routes.containsKey(application);
    }

    /** Members of the group connected to this bridge (proxies of remote members not counted). */
    public int groupMembers(String application, GroupKey group) {
        ApplicationRoute route = routes.get(application);
        return route == null ? 0 : route.localGroupSize(group);
    }

    /** Groups of the application with at least one member connected to this bridge. */
    public int groups(String application) {
        ApplicationRoute route = routes.get(application);
        return route == null ? 0 : route.localGroups();
    }

    /** The compiled filters of this router's subscriptions, shared by all that ask for the same expression. */
    public Filters filters() {
        return filters;
    }

    public long published() {
        return published.sum();
    }

    /** Events dropped because their partition's position was past them: published before, e.g. before a restart. */
    public long repeated() {
        return repeated.sum();
    }

    /** Events read again after their partition moved here (cluster mode) and dealt to groups once more. */
    public long regrouped() {
        return regrouped.sum();
    }

    /** Events that reached no subscriber because nobody was listening. */
    public long unrouted() {
        return unrouted.sum();
    }
}
