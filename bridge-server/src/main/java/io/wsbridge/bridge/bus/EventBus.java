package io.wsbridge.bridge.bus;

/**
 * What a producer of events (the connector's tasks) sees of the bridge. {@code publish} never blocks on a
 * subscriber: it hands the event to each subscriber's bounded queue and returns.
 */
public interface EventBus {

    /** Delivers the event to the current subscribers of its application. Thread-safe. */
    void publish(Event event);
}
