package io.wsbridge.bridge;

import io.wsbridge.bridge.settings.BridgeSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridges of this JVM, one per port, shared by reference count. A bridge outlives its last lease by the
 * settings' shutdown grace period, so a task restart or a rebalance does not disconnect subscribers.
 */
public final class Bridges {

    private static final Logger log = LoggerFactory.getLogger(Bridges.class);
    private static final Bridges SHARED = new Bridges();

    private final Map<Integer, Entry> entries = new HashMap<>();

    /** A registry of its own; tasks use {@link #shared()}. */
    Bridges() {
    }
    private ScheduledThreadPoolExecutor lingering;
    private Thread shutdownHook;

    /** The registry shared by every task in this JVM (all plugins of one plugin.path directory share it too). */
    public static Bridges shared() {
        return SHARED;
    }

    /**
     * Takes a lease on the bridge for the settings' port, starting it if needed. If the bridge runs with other
     * settings for the same listener, they are applied to it; if the bind address or TLS differ, it is restarted.
     *
     * @throws BridgeException if the bridge cannot start
     */
    public synchronized Lease acquire(BridgeSettings settings) {
        Entry entry = entries.get(settings.port());
        if (entry != null && !Bridge.sameListener(entry.bridge.settings(), settings)) {
            log.info("Restarting the bridge on port {}: its listener changes from {}://{} to {}://{}", settings.port(),
                    entry.bridge.settings().scheme(), entry.bridge.settings().address(), settings.scheme(),
                    settings.address());
            entry.cancelStop();
            entry.bridge.close();
            entries.remove(settings.port());
            entry = null;
        }
        if (entry == null) {
            entry = new Entry(Bridge.start(settings));
            entries.put(settings.port(), entry);
            closeOnJvmExit();
        } else {
            entry.cancelStop();
            entry.bridge.reconfigure(settings);
        }
        entry.leases++;
        entry.bridge.users(entry.leases);
        return new Lease(settings.port(), entry);
    }

    /** Bridges currently running, lingering ones included. */
    public synchronized int running() {
        return entries.size();
    }

    private synchronized void release(int port, Entry entry) {
        if (entries.get(port) != entry) {
            return;
        }
        entry.bridge.users(--entry.leases);
        if (entry.leases > 0) {
            return;
        }
        Duration grace = entry.bridge.settings().shutdownGrace();
        if (grace.isZero()) {
            stop(port, entry);
            return;
        }
        log.info("Last user of the bridge on port {} left; stopping it in {} ms unless a task comes back", port,
                grace.toMillis());
        entry.pendingStop = scheduler().schedule(() -> stopIfUnused(port, entry), grace.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private synchronized void stopIfUnused(int port, Entry entry) {
        if (entries.get(port) == entry && entry.leases == 0) {
            stop(port, entry);
        }
    }

    private void stop(int port, Entry entry) {
        entries.remove(port);
        entry.bridge.close();
        if (entries.isEmpty() && lingering != null) {
            lingering.shutdown();
            lingering = null;
        }
    }

    /**
     * When the worker's JVM exits while a bridge lingers, close its subscribers with 1001 (going away) rather than
     * dropping their connections without a close frame.
     */
    private void closeOnJvmExit() {
        if (shutdownHook == null) {
            shutdownHook = new Thread(this::closeAll, "wsbridge-shutdown");
            try {
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                log.debug("JVM already shutting down");
            }
        }
    }

    private synchronized void closeAll() {
        for (Entry entry : entries.values()) {
            entry.cancelStop();
            entry.bridge.close();
        }
        entries.clear();
    }

    private ScheduledThreadPoolExecutor scheduler() {
        if (lingering == null) {
            lingering = new ScheduledThreadPoolExecutor(1, runnable -> {
                Thread thread = new Thread(runnable, "wsbridge-linger");
                thread.setDaemon(true);
                return thread;
            });
            lingering.setRemoveOnCancelPolicy(true);
        }
        return lingering;
    }

    private static final class Entry {
        private final Bridge bridge;
        private int leases;
        private ScheduledFuture<?> pendingStop;

        Entry(Bridge bridge) {
            this.bridge = bridge;
        }

        void cancelStop() {
            if (pendingStop != null) {
                pendingStop.cancel(false);
                pendingStop = null;
            }
        }
    }

    /** A task's use of a bridge; closing it more than once has no further effect. */
    public final class Lease implements AutoCloseable {

        private final int port;
        private final Entry entry;
        private boolean closed;

        private Lease(int port, Entry entry) {
            this.port = port;
            this.entry = entry;
        }

        public Bridge bridge() {
            return entry.bridge;
        }

        @Override
        public void close() {
            synchronized (Bridges.this) {
                if (closed) {
                    return;
                }
                closed = true;
                release(port, entry);
            }
        }
    }
}
