package io.wsbridge.it.harness;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Something on a dead worker's address that answers peer links without the cluster secret: it accepts every WebSocket
 * upgrade to {@code /_wsbridge/peer} (in turn without a {@code WsBridge-Peer-Proof} and with a made-up one), at once
 * sends a well-formed forwarded event, and records how the linking bridge ended each attempt.
 */
public final class ImpostorPeer implements AutoCloseable {

    /** How each attempt ended: the close code the linking bridge sent, or -1 if it ended without one. */
    private final List<Integer> closes = new CopyOnWriteArrayList<>();
    private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final byte[] forwarded;
    private final Thread acceptor;

    /**
     * Listens on {@code host:port} and forwards {@code eventJson} as an event of {@code application} for the plain
     * subscribers on the linking bridge.
     */
    public ImpostorPeer(String host, int port, String application, String eventJson) throws IOException {
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(host), port), 50);
        this.forwarded = forwardedEvent(application, eventJson);
        this.acceptor = new Thread(this::accept, "impostor-" + host + ":" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public List<Integer> closes() {
        return closes;
    }

    public List<Map<String, String>> requests() {
        return requests;
    }

    private void accept() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                socket.setSoTimeout(15_000);
                answer(socket, requests.size());
            } catch (IOException e) {
                // stopped, or the client went away: the next attempt is another connection
            }
        }
    }

    private void answer(Socket socket, int attempt) throws IOException {
        RawWsClient.Response head = RawWsClient.readRequestHead(socket.getInputStream());
        requests.add(head.headers());
        String proof = attempt % 2 == 0 ? "" : "WsBridge-Peer-Proof: bWFkZS11cC1wcm9vZi1vZi10aGUtaW1wb3N0b3I\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + accept(head.headers().get("sec-websocket-key")) + "\r\n" + proof + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(binaryFrame(forwarded));
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
                if ((first & 0x0f) == RawWsClient.CLOSE) {
                    closes.add(length < 2 ? 1005
                            : (((payload[0] ^ mask[0]) & 0xff) << 8) | ((payload[1] ^ mask[1]) & 0xff));
                    return;
                }
            }
        } catch (IOException e) {
            closes.add(-1);
        }
    }

    /**
     * A forwarded event as a consuming bridge sends it (the bridge's {@code ForwardCodec}): u32 header length, header
     * (u8 version 1, u8 flags 1 = for plain subscribers, u32 payload length, u16-prefixed application, u16 0 groups),
     * then the event's JSON.
     */
    private static byte[] forwardedEvent(String application, String eventJson) {
        byte[] app = application.getBytes(StandardCharsets.UTF_8);
        byte[] payload = eventJson.getBytes(StandardCharsets.UTF_8);
        int headerLength = 1 + 1 + 4 + 2 + app.length + 2;
        ByteBuffer message = ByteBuffer.allocate(4 + headerLength + payload.length);
        message.putInt(headerLength).put((byte) 1).put((byte) 1).putInt(payload.length)
                .putShort((short) app.length).put(app).putShort((short) 0).put(payload);
        return message.array();
    }

    private static byte[] binaryFrame(byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x80 | RawWsClient.BINARY);
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

    private static String accept(String key) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(
                    (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
