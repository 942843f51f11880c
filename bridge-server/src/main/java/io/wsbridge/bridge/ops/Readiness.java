package io.wsbridge.bridge.ops;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Whether a bridge is ready to serve, for {@code /readyz}: a list of checks, each saying why it is not ready or
 * {@code null}; the first reason found is the answer. The parts of a bridge add their checks as they start.
 */
public final class Readiness {

    private final List<Supplier<String>> checks = new CopyOnWriteArrayList<>();

    /** Adds a check, asked after the ones added before it. */
    public void add(Supplier<String> notReadyReason) {
        checks.add(notReadyReason);
    }

    /** Why the bridge is not ready, or {@code null} if it is. */
    public String notReadyReason() {
        for (Supplier<String> check : checks) {
            String reason = check.get();
            if (reason != null) {
                return reason;
            }
        }
        return null;
    }
}
