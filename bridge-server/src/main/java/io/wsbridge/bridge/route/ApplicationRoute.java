package io.wsbridge.bridge.route;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.Filter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The subscribers of one application, for the {@link Router}, by the channel they listen on ({@link ChannelIndex}):
 * an event costs offers to its channel's subscribers and groups and to those of every channel, not checks of all the
 * application's subscribers. Mutated only inside the router's {@code routes.compute}, so never concurrently; read
 * without locks while events are delivered.
 */
final class ApplicationRoute {

    private static final Subscription[] NONE = new Subscription[0];
    private static final Filtered[] NO_FILTERS = new Filtered[0];
    private static final Group[] NO_GROUPS = new Group[0];

    /** Plain subscribers without a filter, by channel. */
    private final ChannelIndex<Subscription> plain = new ChannelIndex<>(NONE, Subscription::channel);
    /** Plain subscribers with a filter, by filter (each is evaluated at most once per event), then by channel. */
    private volatile Filtered[] filtered = NO_FILTERS;
    private final Map<GroupKey, GroupBalancer> groups = new ConcurrentHashMap<>();
    /** The groups by their key's channel. */
    private final ChannelIndex<Group> groupsByChannel = new ChannelIndex<>(NO_GROUPS, group -> group.key().channel());
    /** Groups whose key has a filter. */
    private int filteredGroups;
    /** Whether any subscription here has a filter: only then does an event get its {@link FilterMatches}. */
    private volatile boolean hasFilters;

    void add(Subscription subscription) {
        GroupKey key = subscription.group();
        if (key != null) {
            groups.computeIfAbsent(key, k -> {
                filteredGroups += k.filter() == null ? 0 : 1;
                GroupBalancer balancer = new GroupBalancer();
                groupsByChannel.add(new Group(k, balancer));
                return balancer;
            }).join(subscription);
            hasFilters = filteredGroups > 0 || filtered.length > 0;
            return;
        }
        Filter filter = subscription.filter();
        if (filter == null) {
            plain.add(subscription);
            return;
        }
        for (Filtered entry : filtered) {
            if (entry.filter == filter) {
                entry.subscriptions.add(subscription);
                return;
            }
        }
        Filtered added = new Filtered(filter, new ChannelIndex<>(NONE, Subscription::channel));
        added.subscriptions.add(subscription);
        Filtered[] grown = Arrays.copyOf(filtered, filtered.length + 1);
        grown[grown.length - 1] = added;
        filtered = grown;
        hasFilters = true;
    }

    /** @return {@code true} if the application has no subscribers left */
    boolean remove(Subscription subscription) {
        GroupKey key = subscription.group();
        if (key != null) {
            GroupBalancer group = groups.get(key);
            if (group != null && group.leave(subscription)) {
                groups.remove(key);
                Group indexed = find(key.channel() == null ? groupsByChannel.any() : groupsByChannel.of(key.channel()),
                        key);
                if (indexed != null) {
                    groupsByChannel.remove(indexed);
                }
                filteredGroups -= key.filter() == null ? 0 : 1;
            }
        } else if (subscription.filter() == null) {
            plain.remove(subscription);
        } else {
            List<Filtered> kept = new ArrayList<>(filtered.length);
            for (Filtered entry : filtered) {
                if (entry.filter == subscription.filter()) {
                    entry.subscriptions.remove(subscription);
                }
                if (!entry.subscriptions.isEmpty()) {
                    kept.add(entry);
                }
            }
            if (kept.size() != filtered.length) {
                filtered = kept.toArray(NO_FILTERS);
            }
        }
        hasFilters = filteredGroups > 0 || filtered.length > 0;
        return plain.isEmpty() && filtered.length == 0 && groups.isEmpty();
    }

    private static Group find(Group[] candidates, GroupKey key) {
        for (Group group : candidates) {
            if (group.key().equals(key)) {
                return group;
            }
        }
        return null;
    }

    int groupSize(GroupKey key) {
        GroupBalancer group = groups.get(key);
        return group == null ? 0 : group.size();
    }

    GroupBalancer group(GroupKey key) {
        return groups.get(key);
    }

    /** Calls {@code action} with every member of a group connected to this bridge. */
    void forEachLocalGroupMember(Consumer<Subscription> action) {
        for (GroupBalancer group : groups.values()) {
            for (Subscription member : group.localMembers()) {
                action.accept(member);
            }
        }
    }

    int localGroupSize(GroupKey key) {
        GroupBalancer group = groups.get(key);
        return group == null ? 0 : group.localSize();
    }

    boolean deliver(Event event) {
        FilterMatches matches = hasFilters ? new FilterMatches(event) : null;
        boolean delivered = deliverToPlain(event, true, matches);
        return deliverToGroups(event, matches) | delivered;
    }

    /** Offers the event to one member of each group whose channel and filter it matches, and to no one else. */
    boolean deliverToGroups(Event event) {
        return deliverToGroups(event, hasFilters ? new FilterMatches(event) : null);
    }

    private boolean deliverToGroups(Event event, FilterMatches matches) {
        boolean delivered = deliverToGroups(groupsByChannel.any(), event, matches);
        return deliverToGroups(groupsByChannel.of(event.channel()), event, matches) | delivered;
    }

    private static boolean deliverToGroups(Group[] candidates, Event event, FilterMatches matches) {
        boolean delivered = false;
        for (Group group : candidates) {
            if (passes(group.balancer().filter(), matches)) {
                delivered |= group.balancer().deliver(event);
            }
        }
        return delivered;
    }

    /** @param takers told of each group member that took the event, or {@code null} */
    boolean deliverLocally(Event event, boolean toPlain, List<GroupKey> keys, Consumer<Subscription> takers) {
        FilterMatches matches = hasFilters ? new FilterMatches(event) : null;
        boolean delivered = toPlain && deliverToPlain(event, false, matches);
        for (GroupKey key : keys) {
            GroupBalancer group = groups.get(key);
            if (group != null && passes(group.filter(), matches)) {
                Subscription member = group.deliverLocally(event);
                if (member != null) {
                    delivered = true;
                    if (takers != null) {
                        takers.accept(member);
                    }
                }
            }
        }
        return delivered;
    }

    /**
     * Offers the event to the plain subscribers whose channel and filter it matches; proxies of remote subscribers
     * too if {@code remote}.
     */
    private boolean deliverToPlain(Event event, boolean remote, FilterMatches matches) {
        boolean delivered = offer(plain.any(), event, remote, null, null);
        delivered |= offer(plain.of(event.channel()), event, remote, null, null);
        for (Filtered entry : filtered) {
            delivered |= offer(entry.subscriptions.any(), event, remote, entry.filter, matches);
            delivered |= offer(entry.subscriptions.of(event.channel()), event, remote, entry.filter, matches);
        }
        return delivered;
    }

    /**
     * Offers the event to those of {@code candidates} that accept it (proxies only if {@code remote}), if it passes
     * {@code filter} (evaluated only if one of them accepts it).
     */
    private static boolean offer(Subscription[] candidates, Event event, boolean remote, Filter filter,
            FilterMatches matches) {
        boolean delivered = false;
        for (Subscription subscription : candidates) {
            if ((remote || !subscription.remote()) && subscription.accepts(event)) {
                if (filter != null && !matches.matches(filter)) {
                    return false; // the same filter for all of them
                }
                delivered |= subscription.offer(event);
            }
        }
        return delivered;
    }

    /** Whether the event passes {@code filter} ({@code null}: no filter); {@code matches} exists when filters do. */
    private static boolean passes(Filter filter, FilterMatches matches) {
        return filter == null || matches.matches(filter);
    }

    Interest.Application localInterest() {
        boolean all = false;
        Set<String> channels = new HashSet<>();
        for (Subscription subscription : allPlain()) {
            if (!subscription.remote()) {
                if (subscription.channel() == null) {
                    all = true;
                } else {
                    channels.add(subscription.channel());
                }
            }
        }
        Map<GroupKey, Integer> members = new HashMap<>();
        groups.forEach((key, group) -> {
            int local = group.localSize();
            if (local > 0) {
                members.put(key, local);
            }
        });
        return new Interest.Application(all, channels, members);
    }

    /** Groups with at least one member connected to this bridge. */
    int localGroups() {
        return (int) groups.values().stream().filter(g -> g.localSize() > 0).count();
    }

    int size() {
        return allPlain().size() + groups.values().stream().mapToInt(GroupBalancer::size).sum();
    }

    int localSize() {
        int local = 0;
        for (Subscription subscription : allPlain()) {
            if (!subscription.remote()) {
                local++;
            }
        }
        return local + groups.values().stream().mapToInt(GroupBalancer::localSize).sum();
    }

    private List<Subscription> allPlain() {
        List<Subscription> all = plain.all();
        for (Filtered entry : filtered) {
            all.addAll(entry.subscriptions.all());
        }
        return all;
    }

    /** The plain subscribers of an application that share one filter, by channel. */
    private record Filtered(Filter filter, ChannelIndex<Subscription> subscriptions) {
    }

    /** A group, indexed by its key's channel. */
    private record Group(GroupKey key, GroupBalancer balancer) {
    }
}
