package io.wsbridge.bridge.resume;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link LiveStream} of every application this bridge has seen an event or a partition of. Kept for the life of
 * the bridge: a stream's positions matter whether or not anyone subscribes (the next subscriber's cursor starts from
 * them), and they are a few bytes per partition.
 */
public final class LiveStreams {

    private final ConcurrentHashMap<String, LiveStream> streams = new ConcurrentHashMap<>();
    private final SharedPositions shared = new SharedPositions();

    /** The partitions of shared topics this bridge publishes: in every application's position. */
    public SharedPositions shared() {
        return shared;
    }

    /** The application's stream, created on first use. */
    public LiveStream of(String application) {
        LiveStream stream = streams.get(application);
        return stream != null ? stream : streams.computeIfAbsent(application, name -> new LiveStream(name, shared));
    }

    /** The application's stream, or {@code null} if the bridge has seen nothing of it. */
    public LiveStream find(String application) {
        return streams.get(application);
    }

    public Set<String> applications() {
        return Set.copyOf(streams.keySet());
    }
}
