package io.wsbridge.bridge.util;

import java.util.concurrent.ThreadFactory;

/** Threads that never keep the JVM (a Connect worker) alive on their own. */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /** A factory of daemon threads that all bear {@code name}. */
    public static ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
