package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.session.CloseCodes;
import org.eclipse.jetty.util.Utf8StringBuilder;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * Assembles a client's text messages from their frames, enforcing the size limit in bytes over all fragments and
 * strict UTF-8 (a message that ends inside a multi-byte sequence is invalid too). Binary messages are refused. The
 * fragments of an unfinished message take their bytes from a {@link MessageBudget} shared by all connections, given
 * back when the message ends in any way; {@link #unfinishedSinceNanos()} tells how long one has been pending.
 *
 * <p>Jetty hands it one frame at a time; {@link #discard()} and {@link #unfinishedSinceNanos()} may come from other
 * threads (closing, timers). The receiver is called outside the lock.
 */
final class IncomingMessages {

    /** What the session does with a frame's outcome. */
    interface Receiver {

        /** A complete text message. */
        void message(String text);

        /** The client broke a rule: close with this code. */
        void refuse(int closeCode, String reason);
    }

    /** No unfinished message. */
    static final long NONE = Long.MIN_VALUE;

    private final Utf8StringBuilder text = new Utf8StringBuilder();
    private final Receiver receiver;
    private final MessageBudget budget;
    private boolean receivingText;
    private boolean receivingBinary;
    /** Bytes of the text message being received: the limit is in bytes, the builder counts chars. */
    private long bytes;
    /** Bytes taken from the budget for the text message being received. */
    private long held;
    private long startedNanos;

    IncomingMessages(Receiver receiver, MessageBudget budget) {
        this.receiver = receiver;
        this.budget = budget;
    }

    /** Takes a data frame (text, binary or continuation); control frames are not this class's business. */
    void frame(Frame frame, int maxMessageBytes) {
        Outcome outcome;
        synchronized (this) {
            outcome = take(frame, maxMessageBytes);
        }
        if (outcome == null) {
            return;
        }
        if (outcome.message() != null) {
            receiver.message(outcome.message());
        } else {
            receiver.refuse(outcome.closeCode(), outcome.reason());
        }
    }

    /** When the unfinished text message's first fragment arrived ({@link System#nanoTime()}), or {@link #NONE}. */
    synchronized long unfinishedSinceNanos() {
        return receivingText ? startedNanos : NONE;
    }

    /** Drops the unfinished message, if any, and gives its bytes back: the connection is closing. */
    synchronized void discard() {
        abandon();
    }

    private Outcome take(Frame frame, int maxMessageBytes) {
        switch (frame.getOpCode()) {
            case OpCode.TEXT -> {
                abandon();
                receivingText = true;
                startedNanos = System.nanoTime();
                return append(frame, maxMessageBytes);
            }
            case OpCode.CONTINUATION -> {
                if (receivingText) {
                    return append(frame, maxMessageBytes);
                }
                if (receivingBinary && frame.isFin()) {
                    receivingBinary = false;
                }
                return null;
            }
            case OpCode.BINARY -> {
                receivingBinary = !frame.isFin();
                return Outcome.refuse(CloseCodes.UNSUPPORTED_DATA, "binary messages are not accepted");
            }
            default -> {
                return null; // control frames
            }
        }
    }

    private Outcome append(Frame frame, int limit) {
        int length = frame.getPayloadLength();
        bytes += length;
        if (bytes > limit) {
            abandon();
            return Outcome.refuse(CloseCodes.MESSAGE_TOO_BIG, "message larger than " + limit + " bytes");
        }
        if (!frame.isFin()) {
            // the fragment's bytes stay in the builder until the last one comes
            if (!budget.tryTake(length)) {
                abandon();
                return Outcome.refuse(CloseCodes.SERVER_BUSY, "server busy: unfinished messages of all clients "
                        + "would hold more than " + budget.limit() + " bytes; try again later");
            }
            held += length;
        }
        text.append(frame.getPayload());
        if (!frame.isFin()) {
            return null;
        }
        text.complete();
        boolean valid = !text.hasCodingErrors();
        String message = valid ? text.toCompleteString() : null;
        abandon();
        return valid ? Outcome.deliver(message) : Outcome.refuse(CloseCodes.BAD_PAYLOAD, "message is not valid UTF-8");
    }

    private void abandon() {
        receivingText = false;
        text.reset();
        bytes = 0;
        if (held > 0) {
            budget.giveBack(held);
            held = 0;
        }
    }

    private record Outcome(String message, int closeCode, String reason) {

        static Outcome deliver(String message) {
            return new Outcome(message, 0, null);
        }

        static Outcome refuse(int closeCode, String reason) {
            return new Outcome(null, closeCode, reason);
        }
    }
}
