package io.wsbridge.bridge.resume;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Cluster mode's condition for going live after a replay: other bridges publish most events, and they forward to this
 * one only what its announced interest asks for. The future completes once every consuming peer has applied this
 * bridge's interest as it is when {@link #await} is called, so every event published after that reaches the
 * subscribers that were in the router then; it fails when that cannot be known (a peer without a link, a timeout).
 */
public interface LiveBarrier {

    CompletableFuture<Void> await();

    /**
     * Once {@link #await} completed: takes the place that the consuming bridges handed over, while applying the
     * interest, for the group {@link From.GroupPlace#id()}; {@code null} if none did.
     */
    Map<PartitionId, Long> takePlace(String id);

    /** Gives back a place {@link #takePlace} gave, for the group's next member here (it could not replay now). */
    void keepPlace(String id, Map<PartitionId, Long> positions);
}
