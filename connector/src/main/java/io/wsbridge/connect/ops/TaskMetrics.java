package io.wsbridge.connect.ops;

import io.wsbridge.bridge.ops.BridgeMetrics;
import java.util.LinkedHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;

/**
 * The task's metrics in Connect's own metrics (JMX, KIP-877 plugin metrics, tagged by Connect with the connector and
 * task): what this task published and reported, and the state of the WebSocket server it feeds. Connect removes
 * them when the task stops.
 */
public final class TaskMetrics {

    private final LongAdder published = new LongAdder();
    private final LongAdder errant = new LongAdder();

    /** Counts a record published to the bridge. */
    public void published() {
        published.increment();
    }

    /** Counts a record reported as errant. */
    public void errant() {
        errant.increment();
    }

    /** Registers the metrics; does nothing if the worker offers no plugin metrics. */
    public void register(PluginMetrics metrics, Supplier<BridgeMetrics> bridge) {
        if (metrics == null) {
            return;
        }
        add(metrics, "events-published-total", "Records this task published to the WebSocket server",
                published::sum);
        add(metrics, "errant-records-total", "Records this task reported as errant", errant::sum);
        add(metrics, "connections", "Open WebSocket connections of the server this task feeds",
                () -> bridge.get().gauge("wsbridge.connections"));
        add(metrics, "events-out-total", "Frames the server handed to subscribers",
                () -> bridge.get().total("wsbridge.events.out"));
        add(metrics, "events-dropped-total", "Events dropped by the drop-oldest overflow policy",
                () -> bridge.get().total("wsbridge.events.dropped"));
        add(metrics, "slow-consumer-closes-total", "Subscribers closed by the close overflow policy",
                () -> bridge.get().total("wsbridge.slow.consumer.closes"));
        add(metrics, "queue-depth", "Events queued over all subscribers",
                () -> bridge.get().gauge("wsbridge.queue.depth"));
        add(metrics, "upgrades-refused-total", "Upgrades refused (400, 401, 403, 404, 503)",
                () -> bridge.get().total("wsbridge.upgrades.refused"));
    }

    private static void add(PluginMetrics metrics, String name, String description, Supplier<Number> value) {
        metrics.addMetric(metrics.metricName(name, description, new LinkedHashMap<>()),
                (Gauge<Double>) (config, now) -> value.get().doubleValue());
    }
}
