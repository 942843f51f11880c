package io.wsbridge.bridge.ws;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a bare socket, for clients that misbehave on purpose: never read, never answer pings,
 * send binary or oversized frames. Frames are read and written by hand (RFC 6455), nothing is automatic.
 */
public final class RawWebSocket implements AutoCloseable {

    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final int status;
    private final String head;

    private RawWebSocket(Socket socket, String head) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.head = head;
        this.status = Integer.parseInt(head.split(" ", 3)[1]);
    }

    /**
     * Performs the upgrade handshake.
     *
     * @param receiveBuffer the socket's receive buffer in bytes (small to make a non-reading client stall fast)
     */
    public static RawWebSocket connect(String host, int port, String pathAndQuery, int receiveBuffer)
            throws IOException {
        return connect(host, port, pathAndQuery, receiveBuffer, null, "");
    }

    /**
     * As above, from the local address {@code source} (any of 127.0.0.0/8 for a test: the server then sees several
     * client addresses) or the default one if {@code null}, with {@code extraHeaderLines} (each ending in CRLF).
     */
    public static RawWebSocket connect(String host, int port, String pathAndQuery, int receiveBuffer, String source,
            String extraHeaderLines) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(receiveBuffer);
        if (source != null) {
            socket.bind(new java.net.InetSocketAddress(source, 0));
        }
        socket.connect(new java.net.InetSocketAddress(host, port), 5_000);
        socket.setSoTimeout(10_000);
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        String request = "GET " + pathAndQuery + " HTTP/1.1\r\n"
                + "Host: " + host + ":" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + extraHeaderLines + "\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return new RawWebSocket(socket, readHead(socket.getInputStream()));
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed during the handshake");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    public int status() {
        return status;
    }

    /** The value of a header of the handshake's response, or {@code null}; the name is case-insensitive. */
    public String header(String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** Reads and drops bytes up to the end of the stream (a refused upgrade's body); a read timeout throws. */
    public void readToEnd() throws IOException {
        byte[] buffer = new byte[4096];
        while (in.read(buffer) >= 0) {
            // the body of an error page
        }
    }

    /** Closes the connection with a TCP reset instead of a FIN: a client that crashed. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /** Reads the next frame, or returns {@code null} at the end of the stream; a read timeout throws. */
    public Frame read() throws IOException {
        try {
            int first = in.readUnsignedByte();
            int second = in.readUnsignedByte();
            long length = second & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            return new Frame(first & 0x0f, payload);
        } catch (java.io.EOFException | java.net.SocketException e) {
            return null;
        }
    }

    /**
     * Reads frames until a close frame arrives, skipping data and ping frames; {@code null} if the connection ends
     * without one.
     */
    public Frame readUntilClose() throws IOException {
        Frame frame;
        while ((frame = read()) != null) {
            if (frame.opcode() == 0x8) {
                return frame;
            }
        }
        return null;
    }

    /** Sends one masked frame, as a client must. */
    public void send(int opcode, byte[] payload) throws IOException {
        send(opcode, payload, true);
    }

    /** Sends one masked frame; {@code fin} false starts or continues a fragmented message. */
    public void send(int opcode, byte[] payload, boolean fin) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >> shift) & 0xff);
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    public void sendText(String text) throws IOException {
        send(0x1, text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
