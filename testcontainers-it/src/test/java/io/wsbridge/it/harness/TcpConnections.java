package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * TCP connections of this machine as the kernel lists them ({@code /proc/net/tcp}, {@code /proc/net/tcp6}): whether a
 * server really closed the sockets of the clients it dropped, which its own metrics cannot show. (A connection reset
 * by its peer leaves the list at once, whether or not the server closed its socket: count the server's file
 * descriptors too, {@link JvmDiagnostics#openFiles}.)
 */
public final class TcpConnections {

    /** ESTABLISHED, and CLOSE_WAIT: the peer has closed, the server not yet. */
    private static final Set<String> NOT_CLOSED_BY_SERVER = Set.of("01", "08");

    private TcpConnections() {
    }

    /**
     * Connections whose local port is {@code port} and that the server has not closed: its side of its clients'
     * connections, those of clients that went away without the server noticing included.
     */
    public static long openOnServer(int port) {
        String hexPort = String.format(":%04X", port);
        long count = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path file = Path.of(table);
            if (!Files.exists(file)) {
                continue;
            }
            try (var lines = Files.lines(file)) {
                count += lines.skip(1).map(String::trim).map(line -> line.split("\\s+"))
                        .filter(fields -> fields.length > 3 && fields[1].endsWith(hexPort)
                                && NOT_CLOSED_BY_SERVER.contains(fields[3]))
                        .count();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + table, e);
            }
        }
        return count;
    }
}
