package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.session.CloseCodes;
import org.eclipse.jetty.util.Utf8StringBuilder;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * Assembles a client's text messages from their frames, enforcing the size limit in bytes over all fragments and
 * strict UTF-8 (a message that ends inside a multi-byte sequence is invalid too). Binary messages are refused. Used
 * by one connection's frame handler, which Jetty calls one frame at a time.
 */
final class IncomingMessages {

    /** What the session does with a frame's outcome. */
    interface Receiver {

        /** A complete text message. */
        void message(String text);

        /** The client broke a rule: close with this code. */
        void refuse(int closeCode, String reason);
    }

    private final Utf8StringBuilder text = new Utf8StringBuilder();
    private final Receiver receiver;
    private boolean receivingText;
    private boolean receivingBinary;
    /** Bytes of the text message being received: the limit is in bytes, the builder counts chars. */
    private long bytes;

    IncomingMessages(Receiver receiver) {
        this.receiver = receiver;
    }

    /** Takes a data frame (text, binary or continuation); control frames are not this class's business. */
    void frame(Frame frame, int maxMessageBytes) {
        switch (frame.getOpCode()) {
            case OpCode.TEXT -> {
                text.reset();
                bytes = 0;
                receivingText = true;
                append(frame, maxMessageBytes);
            }
            case OpCode.CONTINUATION -> {
                if (receivingText) {
                    append(frame, maxMessageBytes);
                } else if (receivingBinary && frame.isFin()) {
                    receivingBinary = false;
                }
            }
            case OpCode.BINARY -> {
                receivingBinary = !frame.isFin();
                receiver.refuse(CloseCodes.UNSUPPORTED_DATA, "binary messages are not accepted");
            }
            default -> {
                // control frames
            }
        }
    }

    private void append(Frame frame, int limit) {
        bytes += frame.getPayloadLength();
        if (bytes > limit) {
            receivingText = false;
            text.reset();
            receiver.refuse(CloseCodes.MESSAGE_TOO_BIG, "message larger than " + limit + " bytes");
            return;
        }
        text.append(frame.getPayload());
        if (frame.isFin()) {
            receivingText = false;
            text.complete();
            if (text.hasCodingErrors()) {
                text.reset();
                receiver.refuse(CloseCodes.BAD_PAYLOAD, "message is not valid UTF-8");
                return;
            }
            String message = text.toCompleteString();
            text.reset();
            receiver.message(message);
        }
    }
}
