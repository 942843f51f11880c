package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.settings.BridgeSettings;

/**
 * What a {@link Subscriber} needs of whatever hosts it: the {@link WebSocketServer}, or a benchmark that feeds
 * subscribers on sessions of its own without a network.
 */
public interface SubscriberHost {

    BridgeSettings settings();

    BridgeMetrics metrics();

    BridgeMetrics.ApplicationMeters meters(String application);

    /** A subscriber of any transport is open: it joins the router. */
    void opened(ClientSubscriber subscriber);

    /** A subscriber is closing or closed (called at least once, maybe more): it leaves the router. */
    void closed(ClientSubscriber subscriber);

    /** A complete text message from the client. */
    void message(Subscriber subscriber, String text);

    /** The bytes that the subscribers' unfinished client messages may hold, shared by all of them. */
    MessageBudget messageBudget();

    /** Runs the task after the delay on the server's scheduler. */
    void schedule(Runnable task, long delayMillis);
}
