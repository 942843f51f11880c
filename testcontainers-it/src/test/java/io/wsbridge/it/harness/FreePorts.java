package io.wsbridge.it.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on a loopback address, for servers that must be told their port up front.
 *
 * <p>The ports come from outside the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}). A port the kernel
 * offers for {@code bind(0)} is one it also hands to outgoing connections: seconds can pass between choosing a port and
 * a Connect task binding it, and on a busy test JVM a Kafka client's connection took it in that time (CI, 3 December:
 * the demo's operations port). Outside that range only another listener can take the port.
 */
public final class FreePorts {

    /** Lowest port handed out: clear of the registered ports most services listen on. */
    static final int LOWEST = 20000;

    /** Ports handed out by this JVM: a port is never handed out twice, even after the server told it has stopped. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /**
     * A port that was free on {@code host} a moment ago, outside the ephemeral range, and that this JVM never handed out
     * before (two ports asked for in a row, e.g. a connector's WebSocket and operations ports, are never the same).
     * Another listener could take it before the server binds it; the server then fails loudly.
     */
    public static int on(String host) {
        requireLoopback(host);
        int[] range = candidates(ephemeralRange());
        int size = range[1] - range[0] + 1;
        int start = ThreadLocalRandom.current().nextInt(size);
        for (int i = 0; i < size; i++) {
            int port = range[0] + (start + i) % size;
            if (!HANDED_OUT.contains(port) && bindable(host, port) && HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port on " + host + " in " + range[0] + "-" + range[1]);
    }

    /** Ports from {@link #LOWEST} up to below the ephemeral range, or above it when it starts lower. */
    static int[] candidates(int[] ephemeral) {
        if (ephemeral[0] - LOWEST >= 1000) {
            return new int[] {LOWEST, ephemeral[0] - 1};
        }
        if (65535 - ephemeral[1] >= 1000) {
            return new int[] {ephemeral[1] + 1, 65535};
        }
        throw new IllegalStateException("the ephemeral port range " + ephemeral[0] + "-" + ephemeral[1]
                + " leaves no thousand ports for test servers (net.ipv4.ip_local_port_range)");
    }

    /** The kernel's ephemeral range; Linux's default when it cannot be read. */
    static int[] ephemeralRange() {
        try {
            String[] bounds = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32768, 60999};
        }
    }

    private static boolean bindable(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
            return true;
        } catch (IOException e) {
            return false;
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
