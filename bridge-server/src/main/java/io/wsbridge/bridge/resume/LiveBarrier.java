package io.wsbridge.bridge.resume;

import java.util.concurrent.CompletableFuture;

/**
 * Cluster mode's condition for going live after a replay: other bridges publish most events, and they forward to this
 * one only what its announced interest asks for. The future completes once every consuming peer has applied this
 * bridge's interest as it is when {@link #await} is called, so every event published after that reaches the
 * subscribers that were in the router then; it fails when that cannot be known (a peer without a link, a timeout).
 */
@FunctionalInterface
public interface LiveBarrier {

    CompletableFuture<Void> await();
}
