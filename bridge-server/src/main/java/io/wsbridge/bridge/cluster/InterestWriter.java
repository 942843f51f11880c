package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.ops.BridgeMetrics;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes one connection's interest messages ({@link InterestSender}) as text frames, and counts them. */
final class InterestWriter {

    private static final Logger log = LoggerFactory.getLogger(InterestWriter.class);

    private final String peer;
    private final BridgeMetrics.InterestMeters meters;
    private final InterestSender sender = new InterestSender(PeerProtocol.INTEREST_CHUNK_BYTES);

    InterestWriter(String peer, BridgeMetrics.InterestMeters meters) {
        this.peer = peer;
        this.meters = meters;
    }

    /** Writes a snapshot of {@code entries}, or what changed since the last message; on the cluster thread. */
    void write(CoreSession session, Map<InterestEntry, Integer> entries, boolean snapshot) {
        List<String> messages = snapshot ? sender.snapshot(entries) : sender.delta(entries);
        for (String message : messages) {
            Frame frame = new Frame(OpCode.TEXT, message);
            meters.bytesSent().increment(frame.getPayloadLength());
            session.sendFrame(frame, Callback.NOOP, false);
        }
        (snapshot ? meters.snapshotsSent() : meters.deltasSent()).increment(messages.size());
        if (!messages.isEmpty()) {
            log.debug("Sent {} interest {} messages to peer {}", messages.size(), snapshot ? "snapshot" : "delta",
                    peer);
        }
    }
}
