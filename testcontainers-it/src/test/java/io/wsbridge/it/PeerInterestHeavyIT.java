package io.wsbridge.it;

import io.wsbridge.it.harness.JvmDiagnostics;

/**
 * {@link PeerInterestIT} with 20,000 subscribers on one worker, or 17,000 where the open-file limit ({@code ulimit -n})
 * is below 22,000 (each subscriber is a socket in this JVM and in the worker): either is more than the 15,900 whose
 * interest passed the 16 MiB that a link accepted in one message before version 2 of the interest messages.
 * {@code -Dit.heavy.interest.subscribers} sets another number. Runs only in the Maven profile {@code heavy}.
 */
class PeerInterestHeavyIT extends PeerInterestIT {

    private final int subscribers = Integer.getInteger("it.heavy.interest.subscribers",
            JvmDiagnostics.openFilesLimit(ProcessHandle.current().pid()) >= 22_000 ? 20_000 : 17_000);

    @Override
    int subscribers() {
        return subscribers;
    }
}
