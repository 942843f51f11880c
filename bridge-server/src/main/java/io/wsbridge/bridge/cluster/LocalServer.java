package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.ops.BridgeMetrics;
import io.wsbridge.bridge.settings.BridgeSettings;

/** What a cluster node needs of the bridge it runs in: nothing of the WebSocket server beyond these. */
public interface LocalServer {

    BridgeSettings settings();

    BridgeMetrics metrics();

    /** The port the bridge's server listens on. */
    int port();

    /** The application's meters, created when a peer first shows interest in it. */
    BridgeMetrics.ApplicationMeters meters(String application);

    /** Closes every subscriber connected to this bridge, e.g. with 1013 when events meant for them were lost. */
    void closeLocalSubscribers(int code, String reason);
}
