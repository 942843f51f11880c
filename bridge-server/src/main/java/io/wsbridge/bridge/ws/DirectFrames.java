package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.bus.Event;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.WebSocketCoreSession;

/**
 * Writes a subscriber's frames straight to its connection's {@link EndPoint}: a batch of events becomes one pooled
 * buffer of pre-encoded frames (a 2-to-10-byte header, unmasked, and the event's shared bytes) written at once, instead
 * of a {@code Frame}, a flusher entry, a validation and several locks per frame in Jetty's {@code FrameFlusher}.
 *
 * <p>Jetty keeps the connection: the upgrade, TLS (its {@code EndPoint} encrypts what is written here), reading and
 * parsing what the client sends, idle timeouts, and the close handshake. Two writers must never write to one
 * {@code EndPoint} at once, so everything the subscriber sends goes through here, pings and pongs included, and the
 * close frames Jetty sends wait until this writer is idle ({@link #closeThen}): the subscriber's own close, and the
 * answer to a client's close, which Jetty sends once the subscriber completes the close frame's callback. What Jetty
 * sends on its own (the close of a protocol error or an idle timeout) may meet a write in flight; Jetty then fails its
 * write and closes the connection, which ends without a close frame, as a connection that broke.
 *
 * <p>Not used when an extension was negotiated (the frames would have to go through it; the bridge offers none) or
 * when the session is not Jetty's core session: {@link #of} returns {@code null} and the subscriber writes through
 * Jetty as before.
 */
final class DirectFrames implements Callback {

    private static final byte FIN_TEXT = (byte) 0x81;
    private static final byte FIN_PING = (byte) 0x89;
    private static final byte FIN_PONG = (byte) 0x8A;

    private final EndPoint endPoint;
    private final ByteBufferPool pool;
    private final BooleanSupplier outputOpen;

    /** The buffer being written, or null when idle. This and all below: guarded by this. */
    private RetainableByteBuffer writing;
    /** Completes when {@link #writing} is written: the outbox's callback, or null for control frames alone. */
    private Callback writingDone;
    /** A batch encoded while control frames were being written; it goes next. */
    private RetainableByteBuffer waiting;
    private Callback waitingDone;
    private boolean pingPending;
    /** The payload of the pong still to send (the latest ping's), or null. */
    private byte[] pongPending;
    private boolean closed;
    /** Runs once nothing is being written, after {@link #closeThen}. */
    private Runnable whenIdle;

    DirectFrames(EndPoint endPoint, ByteBufferPool pool, BooleanSupplier outputOpen) {
        this.endPoint = endPoint;
        this.pool = pool;
        this.outputOpen = outputOpen;
    }

    /** A writer for {@code session}'s connection, or {@code null} if its frames must go through Jetty. */
    static DirectFrames of(CoreSession session) {
        if (!(session instanceof WebSocketCoreSession core) || core.getConnection() == null
                || !session.getNegotiatedExtensions().isEmpty()) {
            return null;
        }
        return new DirectFrames(core.getConnection().getEndPoint(), session.getByteBufferPool(),
                session::isOutputOpen);
    }

    /**
     * Encodes {@code batch} as text frames (any pending ping or pong first) and writes them in one write; completes
     * {@code done} once they are written, or failed if the writer was closed or the write failed. The list may be
     * reused once this returns.
     */
    void write(List<Event> batch, Callback done) {
        int count = batch.size();
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            int size = batch.get(i).size();
            bytes += headerLength(size) + size;
        }
        RetainableByteBuffer buffer;
        synchronized (this) {
            if (closed) {
                buffer = null;
            } else {
                buffer = pool.acquire((int) Math.min(Integer.MAX_VALUE - 64, bytes + controlBytes()), true);
                ByteBuffer target = buffer.getByteBuffer();
                target.clear();
                putControl(target);
                for (int i = 0; i < count; i++) {
                    Event event = batch.get(i);
                    putHeader(target, FIN_TEXT, event.size());
                    event.copyFrameTo(target);
                }
                target.flip();
                if (writing != null) {
                    waiting = buffer;
                    waitingDone = done;
                    return;
                }
                writing = buffer;
                writingDone = done;
            }
        }
        if (buffer == null) {
            done.failed(new ClosedChannelException());
        } else {
            flush(buffer);
        }
    }

    void ping() {
        control(true, null);
    }

    /** Answers a ping with its payload (at most 125 bytes), now or with what is written next. */
    void pong(ByteBuffer payload) {
        byte[] copy = new byte[payload == null ? 0 : Math.min(payload.remaining(), 125)];
        if (copy.length > 0) {
            payload.slice().get(copy);
        }
        control(false, copy);
    }

    /**
     * Writes nothing more (pending pings and pongs are dropped) and runs {@code then} once what is being written is
     * written, or failed: at once if nothing is. Jetty's close frame may then be written without meeting a write.
     */
    void closeThen(Runnable then) {
        boolean now;
        synchronized (this) {
            closed = true;
            pingPending = false;
            pongPending = null;
            now = writing == null;
            if (!now) {
                Runnable earlier = whenIdle; // e.g. the answer to the client's close, then the subscriber's close
                whenIdle = earlier == null ? then : () -> {
                    earlier.run();
                    then.run();
                };
            }
        }
        if (now) {
            then.run();
        }
    }

    private void control(boolean ping, byte[] pong) {
        RetainableByteBuffer buffer;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (ping) {
                pingPending = true;
            } else {
                pongPending = pong;
            }
            if (writing != null) {
                return; // goes with the next write
            }
            buffer = controlBuffer();
            writing = buffer;
            writingDone = null;
        }
        flush(buffer);
    }

    /** A buffer with the pending control frames, which are no longer pending. Under the lock. */
    private RetainableByteBuffer controlBuffer() {
        RetainableByteBuffer buffer = pool.acquire(controlBytes(), true);
        ByteBuffer target = buffer.getByteBuffer();
        target.clear();
        putControl(target);
        target.flip();
        return buffer;
    }

    private int controlBytes() {
        return (pingPending ? 2 : 0) + (pongPending == null ? 0 : 2 + pongPending.length);
    }

    private void putControl(ByteBuffer target) {
        if (pongPending != null) {
            putHeader(target, FIN_PONG, pongPending.length);
            target.put(pongPending);
            pongPending = null;
        }
        if (pingPending) {
            putHeader(target, FIN_PING, 0);
            pingPending = false;
        }
    }

    /** Bytes of the header of an unmasked frame with a payload of {@code size} bytes: 2, 4 or 10. */
    static int headerLength(int size) {
        return size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
    }

    static void putHeader(ByteBuffer target, byte first, int size) {
        target.put(first);
        if (size < 126) {
            target.put((byte) size);
        } else if (size <= 0xFFFF) {
            target.put((byte) 126).putShort((short) size);
        } else {
            target.put((byte) 127).putLong(size);
        }
    }

    private void flush(RetainableByteBuffer buffer) {
        if (!outputOpen.getAsBoolean()) {
            failed(new ClosedChannelException()); // Jetty has sent or is sending a close frame: nothing after it
            return;
        }
        try {
            endPoint.write(this, buffer.getByteBuffer());
        } catch (RuntimeException e) {
            failed(e); // e.g. a write of Jetty's own in flight
        }
    }

    /** The buffer in flight was written. */
    @Override
    public void succeeded() {
        Callback done;
        RetainableByteBuffer next = null;
        Runnable idle = null;
        synchronized (this) {
            writing.release();
            done = writingDone;
            writing = null;
            writingDone = null;
            if (waiting != null) {
                next = waiting;
                writing = waiting;
                writingDone = waitingDone;
                waiting = null;
                waitingDone = null;
            } else if (!closed && (pingPending || pongPending != null)) {
                next = controlBuffer();
                writing = next;
            } else if (whenIdle != null) {
                idle = whenIdle;
                whenIdle = null;
            }
        }
        if (next != null) {
            flush(next);
        }
        if (done != null) {
            done.succeeded();
        }
        if (idle != null) {
            idle.run();
        }
    }

    /** The write in flight failed: so do the batch waiting, and everything after. */
    @Override
    public void failed(Throwable cause) {
        Callback done;
        Callback waitingCallback;
        Runnable idle;
        synchronized (this) {
            for (RetainableByteBuffer buffer : new RetainableByteBuffer[] {writing, waiting}) {
                if (buffer != null) {
                    buffer.release();
                }
            }
            done = writingDone;
            waitingCallback = waitingDone;
            idle = whenIdle;
            writing = waiting = null;
            writingDone = waitingDone = null;
            whenIdle = null;
            closed = true;
            pingPending = false;
            pongPending = null;
        }
        if (done != null) {
            done.failed(cause);
        }
        if (waitingCallback != null) {
            waitingCallback.failed(cause);
        }
        if (idle != null) {
            idle.run();
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
