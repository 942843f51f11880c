package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.filter.Filter;
import io.wsbridge.bridge.filter.InvalidFilterException;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Interest;
import io.wsbridge.bridge.route.Router;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxies one peer's interest puts into this bridge's router. Each change of the interest is applied as a
 * difference, only to the applications it touches, so proxies that stay keep their place in their groups'
 * round-robin.
 */
final class ProxySet {

    private static final Logger log = LoggerFactory.getLogger(ProxySet.class);

    private final Router router;
    private final PeerProxy.Forwarder forwarder;
    private final Consumer<String> applicationSeen;
    private final Map<String, PeerProxy> plain = new HashMap<>();
    private final Map<String, Map<GroupKey, List<PeerProxy>>> members = new HashMap<>();
    private boolean cleared;

    /**
     * @param applicationSeen called with each application that gets a proxy (the bridge creates its meters)
     */
    ProxySet(Router router, PeerProxy.Forwarder forwarder, Consumer<String> applicationSeen) {
        this.router = router;
        this.forwarder = forwarder;
        this.applicationSeen = applicationSeen;
    }

    /**
     * Makes the proxies match the peer's latest interest. Ignored once {@link #clear()}ed.
     *
     * @return the groups (application, key) that had proxies and have none left
     */
    synchronized Map<GroupKey, String> apply(Interest interest) {
        Set<String> applications = new HashSet<>(plain.keySet());
        applications.addAll(members.keySet());
        applications.addAll(interest.applications().keySet());
        Map<String, Interest.Application> changes = new HashMap<>();
        applications.forEach(application -> changes.put(application, interest.applications().get(application)));
        return apply(changes);
    }

    /**
     * Makes the proxies of the given applications match the peer's interest in them; the others stay as they are.
     * Ignored once {@link #clear()}ed.
     *
     * @param changes the peer's interest per application; a {@code null} or empty one removes its proxies
     * @return the groups (key, application) that had proxies and have none left
     */
    synchronized Map<GroupKey, String> apply(Map<String, Interest.Application> changes) {
        Map<GroupKey, String> emptied = new HashMap<>();
        if (cleared) {
            return emptied;
        }
        changes.forEach((application, wanted) -> {
            if (wanted != null && !wanted.isEmpty()) {
                applicationSeen.accept(application);
            }
            applyPlain(application, wanted);
            applyGroups(application, wanted == null ? Map.of() : wanted.groups(), emptied);
        });
        return emptied;
    }

    private void applyPlain(String application, Interest.Application wanted) {
        PeerProxy proxy = plain.get(application);
        if (wanted != null && wanted.plain()) {
            if (proxy == null) {
                proxy = PeerProxy.plain(forwarder, application, wanted);
                plain.put(application, proxy);
                router.add(proxy);
            } else {
                proxy.plainFilter(wanted);
            }
        } else if (proxy != null) {
            plain.remove(application);
            router.remove(proxy);
        }
    }

    private void applyGroups(String application, Map<GroupKey, Integer> wanted, Map<GroupKey, String> emptied) {
        Map<GroupKey, List<PeerProxy>> current = members.computeIfAbsent(application, a -> new HashMap<>());
        Set<GroupKey> keys = new HashSet<>(current.keySet());
        keys.addAll(wanted.keySet());
        for (GroupKey key : keys) {
            int count = wanted.getOrDefault(key, 0);
            List<PeerProxy> proxies = current.computeIfAbsent(key, k -> new ArrayList<>());
            while (proxies.size() < count) {
                Filter filter = null;
                if (key.filter() != null) {
                    try {
                        filter = router.filters().acquire(key.filter());
                    } catch (InvalidFilterException e) {
                        // the peer validated it; a bridge of another version may not read it: its members get none
                        log.warn("Group '{}' of application '{}' has a filter this bridge cannot read ({}); its"
                                + " members on {} get no events from here", key.groupId(), application,
                                e.getMessage(), forwarder);
                        break;
                    }
                }
                PeerProxy proxy = PeerProxy.member(forwarder, application, key, filter);
                proxies.add(proxy);
                router.add(proxy);
            }
            boolean had = !proxies.isEmpty();
            while (proxies.size() > count) {
                remove(proxies.remove(proxies.size() - 1));
            }
            if (proxies.isEmpty()) {
                current.remove(key);
                if (had) {
                    emptied.put(key, application);
                }
            }
        }
        if (current.isEmpty()) {
            members.remove(application);
        }
    }

    /** Removes every proxy at once (the link is gone): the peer's share of each group moves to the other members. */
    synchronized void clear() {
        cleared = true;
        plain.values().forEach(router::remove);
        plain.clear();
        members.values().forEach(groups -> groups.values().forEach(list -> list.forEach(this::remove)));
        members.clear();
    }

    /** Takes a member proxy out of the router and gives back its filter. */
    private void remove(PeerProxy proxy) {
        router.remove(proxy);
        if (proxy.filter() != null) {
            router.filters().release(proxy.filter());
        }
    }

    /** The applications the peer has proxies of. */
    synchronized Set<String> applications() {
        Set<String> applications = new HashSet<>(plain.keySet());
        applications.addAll(members.keySet());
        return applications;
    }

    /** Proxies currently in the router. */
    synchronized int size() {
        return plain.size() + members.values().stream()
                .mapToInt(groups -> groups.values().stream().mapToInt(List::size).sum()).sum();
    }
}
