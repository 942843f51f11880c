package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.bus.Event;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Something that answers peer links without the cluster secret, as anything on a dead worker's address might: it
 * accepts every WebSocket upgrade (with the proof header that {@code proofs} gives for the request's head, none if
 * {@code null}), at once sends a well-formed forwarded event, and records how the linking bridge ended each attempt.
 * Given a function that computes the right proof, it is a peer that holds the secret.
 */
final class Impostor implements AutoCloseable {

    /** How an attempt ended: the close code the linking bridge sent, or -1 if it ended the connection without one. */
    final List<Integer> closes = new CopyOnWriteArrayList<>();
    final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final Function<Map<String, String>, String> proofs;
    private final Event forged;
    private final Thread acceptor;

    Impostor(Function<Map<String, String>, String> proofs, Event forged) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.proofs = proofs;
        this.forged = forged;
        this.acceptor = new Thread(this::accept, "impostor-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    PeerAddress address() {
        return new PeerAddress("127.0.0.1", server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                socket.setSoTimeout(10_000);
                answer(socket);
            } catch (IOException e) {
                // closed, or the client went away: the next attempt is another connection
            }
        }
    }

    private void answer(Socket socket) throws IOException {
        Map<String, String> request = readHead(socket.getInputStream());
        requests.add(request);
        String proof = proofs.apply(request);
        String response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + accept(request.get("sec-websocket-key")) + "\r\n"
                + (proof == null ? "" : PeerAuth.PROOF_HEADER + ": " + proof + "\r\n") + "\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(response.getBytes(StandardCharsets.ISO_8859_1));
        out.write(binaryFrame(forwardedMessage(forged)));
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        try {
            while (true) {
                int first = in.readUnsignedByte();
                int second = in.readUnsignedByte();
                int length = second & 0x7f;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = Math.toIntExact(in.readLong());
                }
                byte[] mask = new byte[4];
                if ((second & 0x80) != 0) {
                    in.readFully(mask);
                }
                byte[] payload = new byte[length];
                in.readFully(payload);
                if ((first & 0x0f) == 0x8) {
                    int code = length < 2 ? 1005 : (((payload[0] ^ mask[0]) & 0xff) << 8) | ((payload[1] ^ mask[1]) & 0xff);
                    closes.add(code);
                    return;
                }
            }
        } catch (IOException e) {
            closes.add(-1);
        }
    }

    /** A forwarded event for the plain subscribers of its application, as a consuming bridge sends it. */
    static byte[] forwardedMessage(Event event) {
        ByteBuffer header = ForwardCodec.header(event, true, List.of());
        ByteBuffer payload = event.payload();
        byte[] message = new byte[header.remaining() + payload.remaining()];
        header.get(message, 0, header.remaining());
        payload.get(message, message.length - payload.remaining(), payload.remaining());
        return message;
    }

    private static byte[] binaryFrame(byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x80 | 0x2);
        if (payload.length < 126) {
            frame.write(payload.length);
        } else {
            frame.write(126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xff);
        }
        frame.writeBytes(payload);
        return frame.toByteArray();
    }

    static String accept(String key) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(
                    (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The request or status line under {@code ""}, and the headers by lower-case name. */
    static Map<String, String> readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection ended within the head");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        Map<String, String> headers = new TreeMap<>();
        headers.put("", lines[0]);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        return headers;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
