package io.wsbridge.bridge.bus;

/**
 * What a producer of events (the connector's tasks) sees of the bridge. {@code publish} never blocks on a
 * subscriber: it hands the event to each subscriber's bounded queue and returns.
 */
public interface EventBus {

    /** Delivers the event to the current subscribers of its application. Thread-safe. */
    void publish(Event event);

    /**
     * A producer was given a partition and publishes it from {@code nextOffset} on: where the live stream of the
     * application starts in that partition, so that cursors name it before its first event. Thread-safe.
     */
    default void started(String application, String topic, int partition, long nextOffset) {
    }

    /**
     * A producer was given a partition of a shared topic (one whose records each name their application) and
     * publishes it from {@code nextOffset} on: every application's cursor names it from then on. Thread-safe.
     */
    default void startedShared(String topic, int partition, long nextOffset) {
    }
}
