package io.wsbridge.bridge.session;

import java.nio.ByteBuffer;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/** WebSocket frames that every session kind answers alike. */
public final class Frames {

    private Frames() {
    }

    /**
     * The pong that answers {@code ping}, with a copy of its payload: Jetty reuses the ping's buffer once the frame's
     * callback completes, before the pong is written.
     */
    public static Frame pong(Frame ping) {
        ByteBuffer payload = ping.getPayload();
        if (payload == null || !payload.hasRemaining()) {
            return new Frame(OpCode.PONG);
        }
        ByteBuffer copy = ByteBuffer.allocate(payload.remaining());
        copy.put(payload.slice()).flip();
        return new Frame(OpCode.PONG, copy);
    }
}
