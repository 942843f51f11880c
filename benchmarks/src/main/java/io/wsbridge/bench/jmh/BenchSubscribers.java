package io.wsbridge.bench.jmh;

import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.ws.MessageBudget;
import io.wsbridge.bridge.ws.Subscriber;
import io.wsbridge.bridge.ws.ClientSubscriber;
import io.wsbridge.bridge.ws.SubscriberHost;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.OutgoingEntry;

/**
 * Real {@link Subscriber}s on sessions that complete every write at once, for the JMH benchmarks: what the bridge
 * spends per event and subscriber before Jetty's own frame flusher takes over. They are hosted here instead of by a
 * WebSocket server, through the subscriber's public seam ({@link SubscriberHost}).
 */
public final class BenchSubscribers implements SubscriberHost {

    private final BridgeSettings settings;
    private final BridgeMetrics metrics;
    private final Router router;
    private final MessageBudget messageBudget;

    public BenchSubscribers(Router router, int queueCapacity) {
        this.router = router;
        this.settings = BridgeSettings.builder("127.0.0.1", 0).queue(queueCapacity, OverflowPolicy.DROP_OLDEST).build();
        this.metrics = new BridgeMetrics(() -> 0, () -> 0, () -> 0, BridgeMetrics.Routing.none(),
                BridgeSettings.DEFAULT_MAX_APPLICATION_SERIES, BridgeSettings.DEFAULT_SERIES_RETENTION);
        this.messageBudget = new MessageBudget(settings::maxUnfinishedMessageBytes);
    }

    /** Opens a plain subscriber of {@code application} (or a member of {@code groupId}) on a session that sinks frames. */
    public void open(String application, String groupId, SinkSession session) {
        Subscriber subscriber = new Subscriber(this, application, null, groupId, Credentials.ANONYMOUS,
                AccessDecision.ANONYMOUS, "bench");
        subscriber.onOpen(session, Callback.NOOP);
    }

    @Override
    public BridgeMetrics.ApplicationMeters meters(String application) {
        return metrics.application(application);
    }

    @Override
    public BridgeSettings settings() {
        return settings;
    }

    @Override
    public BridgeMetrics metrics() {
        return metrics;
    }

    @Override
    public void opened(ClientSubscriber subscriber) {
        router.add(subscriber);
    }

    @Override
    public void closed(ClientSubscriber subscriber) {
        router.remove(subscriber);
    }

    @Override
    public void message(Subscriber subscriber, String text) {
    }

    @Override
    public MessageBudget messageBudget() {
        return messageBudget;
    }

    @Override
    public void schedule(Runnable task, long delayMillis) {
    }

    /** A session whose network writes complete at once; counts the frames and bytes it was handed. */
    public static final class SinkSession extends CoreSession.Empty {

        public final LongAdder frames = new LongAdder();
        public long bytes;

        @Override
        public void sendFrame(OutgoingEntry entry) {
            frames.increment();
            bytes += entry.getFrame().getPayloadLength();
            Callback callback = entry.getCallback();
            if (callback != null) {
                callback.succeeded();
            }
        }

        @Override
        public void demand() {
        }
    }
}
