package io.wsbridge.bridge;

import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.StaticAccessPolicy;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventBus;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.ws.WebSocketServer;

/**
 * One bridge: the router and the WebSocket server that feeds subscribers from it. Built from plain
 * {@link BridgeSettings}; whoever starts it closes it. Within a Connect worker, tasks share bridges through
 * {@link Bridges}.
 */
public final class Bridge implements EventBus, AutoCloseable {

    private final Router router = new Router();
    private final WebSocketServer server;
    private volatile BridgeSettings settings;

    private Bridge(BridgeSettings settings) {
        this.settings = settings;
        this.server = new WebSocketServer(settings, accessPolicy(settings), router);
    }

    /**
     * Starts a bridge listening on the settings' address.
     *
     * @throws BridgeException if the server cannot start, e.g. the port is taken; the message names the port
     */
    public static Bridge start(BridgeSettings settings) {
        Bridge bridge = new Bridge(settings);
        bridge.server.start();
        return bridge;
    }

    @Override
    public void publish(Event event) {
        router.publish(event);
    }

    /** The port actually bound. */
    public int port() {
        return server.port();
    }

    public BridgeSettings settings() {
        return settings;
    }

    /** Settings that do not move the listener take effect without disconnecting anyone. */
    void reconfigure(BridgeSettings newSettings) {
        if (!newSettings.equals(settings)) {
            settings = newSettings;
            server.reconfigure(newSettings, accessPolicy(newSettings));
        }
    }

    public Router router() {
        return router;
    }

    public WebSocketServer server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
    }

    private static AccessPolicy accessPolicy(BridgeSettings settings) {
        return new StaticAccessPolicy(settings.publicApplications());
    }
}
