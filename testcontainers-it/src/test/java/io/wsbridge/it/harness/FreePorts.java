package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports on a loopback address, for servers that must be told their port up front. */
public final class FreePorts {

    private FreePorts() {
    }

    /**
     * A port that was free on {@code host} a moment ago. Another process could take it before the
     * server binds it; on a test machine that is rare enough, and the server then fails loudly.
     */
    public static int on(String host) {
        requireLoopback(host);
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host, e);
        }
    }

    /** Tests talk to loopback only (127.0.0.0/8). */
    public static String requireLoopback(String host) {
        if (!host.startsWith("127.")) {
            throw new IllegalArgumentException("integration tests bind loopback addresses only (127.x.y.z), not " + host);
        }
        return host;
    }
}
