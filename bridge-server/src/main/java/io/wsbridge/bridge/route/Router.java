package io.wsbridge.bridge.route;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventBus;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Decides who gets which event: every plain subscriber of the event's application (and channel), and one member of
 * each of the application's groups. Routing is lock-free; joins and leaves copy small arrays.
 */
public final class Router implements EventBus {

    private final Map<String, ApplicationRoute> routes = new ConcurrentHashMap<>();
    private final LongAdder published = new LongAdder();
    private final LongAdder unrouted = new LongAdder();

    public void add(Subscription subscription) {
        routes.compute(subscription.application(), (application, route) -> {
            ApplicationRoute target = route == null ? new ApplicationRoute() : route;
            target.add(subscription);
            return target;
        });
    }

    public void remove(Subscription subscription) {
        routes.computeIfPresent(subscription.application(),
                (application, route) -> route.remove(subscription) ? null : route);
    }

    @Override
    public void publish(Event event) {
        published.increment();
        ApplicationRoute route = routes.get(event.application());
        if (route == null || !route.deliver(event)) {
            unrouted.increment();
        }
    }

    /** Subscribers of the application, group members included. */
    public int subscribers(String application) {
        ApplicationRoute route = routes.get(application);
        return route == null ? 0 : route.size();
    }

    public int groups(String application) {
        ApplicationRoute route = routes.get(application);
        return route == null ? 0 : route.groups.size();
    }

    public long published() {
        return published.sum();
    }

    /** Events that reached no subscriber because nobody was listening. */
    public long unrouted() {
        return unrouted.sum();
    }

    private record GroupKey(String groupId, String channel) {
    }

    /** The subscribers of one application. Mutated only inside {@code routes.compute}, so never concurrently. */
    private static final class ApplicationRoute {

        private static final Subscription[] NONE = new Subscription[0];

        private volatile Subscription[] plain = NONE;
        private final Map<GroupKey, GroupBalancer> groups = new ConcurrentHashMap<>();

        void add(Subscription subscription) {
            if (subscription.groupId() == null) {
                Subscription[] grown = Arrays.copyOf(plain, plain.length + 1);
                grown[plain.length] = subscription;
                plain = grown;
            } else {
                groups.computeIfAbsent(new GroupKey(subscription.groupId(), subscription.channel()),
                        key -> new GroupBalancer()).join(subscription);
            }
        }

        /** @return {@code true} if the application has no subscribers left */
        boolean remove(Subscription subscription) {
            if (subscription.groupId() == null) {
                Subscription[] current = plain;
                plain = Arrays.stream(current).filter(s -> s != subscription).toArray(Subscription[]::new);
            } else {
                GroupKey key = new GroupKey(subscription.groupId(), subscription.channel());
                GroupBalancer group = groups.get(key);
                if (group != null && group.leave(subscription)) {
                    groups.remove(key);
                }
            }
            return plain.length == 0 && groups.isEmpty();
        }

        boolean deliver(Event event) {
            boolean delivered = false;
            for (Subscription subscription : plain) {
                if (subscription.accepts(event)) {
                    delivered |= subscription.offer(event);
                }
            }
            for (Map.Entry<GroupKey, GroupBalancer> group : groups.entrySet()) {
                String channel = group.getKey().channel();
                if (channel == null || Objects.equals(channel, event.channel())) {
                    delivered |= group.getValue().deliver(event);
                }
            }
            return delivered;
        }

        int size() {
            return plain.length + groups.values().stream().mapToInt(GroupBalancer::size).sum();
        }
    }
}
