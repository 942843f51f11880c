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
 * The subscribers of one application, for the {@link Router}. Mutated only inside the router's
 * {@code routes.compute}, so never concurrently; read without locks while events are delivered.
 */
final class ApplicationRoute {

    private static final Subscription[] NONE = new Subscription[0];
    private static final Filtered[] NO_FILTERS = new Filtered[0];

    /** Plain subscribers without a filter. */
    private volatile Subscription[] plain = NONE;
    /** Plain subscribers with a filter, by filter: each filter is evaluated once per event. */
    private volatile Filtered[] filtered = NO_FILTERS;
    private final Map<GroupKey, GroupBalancer> groups = new ConcurrentHashMap<>();
    /** Groups whose key has a filter. */
    private int filteredGroups;
    /** Whether any subscription here has a filter: only then does an event get its {@link FilterMatches}. */
    private volatile boolean hasFilters;

    void add(Subscription subscription) {
        GroupKey key = subscription.group();
        if (key != null) {
            groups.computeIfAbsent(key, k -> {
                filteredGroups += k.filter() == null ? 0 : 1;
                return new GroupBalancer();
            }).join(subscription);
            hasFilters = filteredGroups > 0 || filtered.length > 0;
            return;
        }
        Filter filter = subscription.filter();
        if (filter == null) {
            plain = grow(plain, subscription);
            return;
        }
        Filtered[] current = filtered;
        for (int i = 0; i < current.length; i++) {
            if (current[i].filter == filter) {
                Filtered[] updated = current.clone();
                updated[i] = new Filtered(filter, grow(current[i].subscriptions, subscription));
                filtered = updated;
                return;
            }
        }
        Filtered[] grown = Arrays.copyOf(current, current.length + 1);
        grown[current.length] = new Filtered(filter, new Subscription[] {subscription});
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
                filteredGroups -= key.filter() == null ? 0 : 1;
            }
        } else if (subscription.filter() == null) {
            plain = shrink(plain, subscription);
        } else {
            List<Filtered> kept = new ArrayList<>(filtered.length);
            for (Filtered entry : filtered) {
                Subscription[] left = entry.filter == subscription.filter()
                        ? shrink(entry.subscriptions, subscription) : entry.subscriptions;
                if (left.length > 0) {
                    kept.add(left == entry.subscriptions ? entry : new Filtered(entry.filter, left));
                }
            }
            filtered = kept.toArray(NO_FILTERS);
        }
        hasFilters = filteredGroups > 0 || filtered.length > 0;
        return plain.length == 0 && filtered.length == 0 && groups.isEmpty();
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
        boolean delivered = false;
        for (Map.Entry<GroupKey, GroupBalancer> group : groups.entrySet()) {
            if (group.getKey().accepts(event.channel()) && passes(group.getValue().filter(), matches)) {
                delivered |= group.getValue().deliver(event);
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
        boolean delivered = false;
        for (Subscription subscription : plain) {
            if ((remote || !subscription.remote()) && subscription.accepts(event)) {
                delivered |= subscription.offer(event);
            }
        }
        for (Filtered entry : filtered) {
            for (Subscription subscription : entry.subscriptions) {
                if ((remote || !subscription.remote()) && subscription.accepts(event)) {
                    if (!matches.matches(entry.filter)) {
                        break; // the same filter for all of them
                    }
                    delivered |= subscription.offer(event);
                }
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
        List<Subscription> all = new ArrayList<>(Arrays.asList(plain));
        for (Filtered entry : filtered) {
            all.addAll(Arrays.asList(entry.subscriptions));
        }
        return all;
    }

    private static Subscription[] grow(Subscription[] current, Subscription added) {
        Subscription[] grown = Arrays.copyOf(current, current.length + 1);
        grown[current.length] = added;
        return grown;
    }

    private static Subscription[] shrink(Subscription[] current, Subscription removed) {
        return Arrays.stream(current).filter(s -> s != removed).toArray(Subscription[]::new);
    }

    /** The plain subscribers of an application that share one filter. */
    private record Filtered(Filter filter, Subscription[] subscriptions) {
    }
}
