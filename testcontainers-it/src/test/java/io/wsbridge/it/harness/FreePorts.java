package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Free TCP ports on a loopback address, for servers that must be told their port up front. */
public final class FreePorts {

    /** Ports handed out by this JVM: the kernel may offer a port again while the server told it has not bound it. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /**
     * A port that was free on {@code host} a moment ago, and that this JVM never handed out before (two ports asked
     * for in a row, e.g. a connector's WebSocket and operations ports, are never the same). Another process could take
     * it before the server binds it; on a test machine that is rare enough, and the server then fails loudly.
     */
    public static int on(String host) {
        requireLoopback(host);
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
                socket.setReuseAddress(true);
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("no free port on " + host, e);
            }
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no port on " + host + " that this JVM has not handed out already");
    }

    /** Tests talk to loopback only (127.0.0.0/8). */
    public static String requireLoopback(String host) {
        if (!host.startsWith("127.")) {
            throw new IllegalArgumentException("integration tests bind loopback addresses only (127.x.y.z), not " + host);
        }
        return host;
    }
}
