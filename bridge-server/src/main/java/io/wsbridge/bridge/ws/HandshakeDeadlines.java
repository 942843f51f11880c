package io.wsbridge.bridge.ws;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts HTTP connections whose request head does not arrive in time. Jetty's idle timeout restarts with every byte,
 * so a client that sends its upgrade request a byte at a time (slow loris) could hold a connection for ever; here a
 * client has the timeout, from opening its connection (TLS handshake included) and again after each answer on a
 * kept-alive connection, to send a complete request line and headers. A connection that became a WebSocket is no
 * longer an HTTP connection and no longer watched. A cut is counted unless the connection was only idle after an
 * answer (a kept-alive connection that sent nothing more): that is an idle timeout, not a slow client.
 *
 * <p>Listens to the HTTP/1.1 connections (add it to their connection factory: it sees each open, and each close,
 * upgrades included), and is told by {@link #handler} when a request head is complete and when its answer is done.
 */
final class HandshakeDeadlines implements Connection.Listener {

    private static final Logger log = LoggerFactory.getLogger(HandshakeDeadlines.class);

    private final Scheduler scheduler;
    private final Supplier<Duration> timeout;
    private final Runnable timedOut;
    private final Map<Connection, Deadline> deadlines = new ConcurrentHashMap<>();

    /**
     * @param timeout read each time a deadline is set, so that a reconfiguration applies to the next one
     * @param timedOut called for each connection cut (to count it)
     */
    HandshakeDeadlines(Scheduler scheduler, Supplier<Duration> timeout, Runnable timedOut) {
        this.scheduler = scheduler;
        this.timeout = timeout;
        this.timedOut = timedOut;
    }

    /** Wraps the server's handler: a request that reaches it has a complete head; its end starts a new wait. */
    Handler handler(Handler next) {
        return new Handler.Wrapper(next) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Connection connection = request.getConnectionMetaData().getConnection();
                disarm(connection);
                Request.addCompletionListener(request, failure -> awaitNextRequest(connection));
                return super.handle(request, response, callback);
            }
        };
    }

    @Override
    public void onOpened(Connection connection) {
        arm(connection, false);
    }

    @Override
    public void onClosed(Connection connection) {
        disarm(connection);
    }

    /** Connections waiting for a request head. */
    int waiting() {
        return deadlines.size();
    }

    private void awaitNextRequest(Connection connection) {
        // Still this HTTP connection's turn: not closed, not being upgraded (the upgrade closes it right after).
        if (connection.getEndPoint().isOpen() && connection.getEndPoint().getConnection() == connection) {
            arm(connection, true);
        }
    }

    private void arm(Connection connection, boolean afterAnswer) {
        Deadline deadline = new Deadline(connection, timeout.get(), afterAnswer);
        Deadline previous = deadlines.put(connection, deadline);
        if (previous != null) {
            previous.cancel();
        }
        deadline.start();
        if (!connection.getEndPoint().isOpen()) {
            disarm(connection); // closed meanwhile: its onClosed may have come first
        }
    }

    private void disarm(Connection connection) {
        Deadline deadline = deadlines.remove(connection);
        if (deadline != null) {
            deadline.cancel();
        }
    }

    private final class Deadline implements Runnable {

        private final Connection connection;
        private final Duration after;
        private final boolean afterAnswer;
        private final long bytesIn;
        private volatile Scheduler.Task task;

        Deadline(Connection connection, Duration after, boolean afterAnswer) {
            this.connection = connection;
            this.after = after;
            this.afterAnswer = afterAnswer;
            this.bytesIn = connection.getBytesIn();
        }

        void start() {
            task = scheduler.schedule(this, after.toMillis(), TimeUnit.MILLISECONDS);
        }

        void cancel() {
            Scheduler.Task current = task;
            if (current != null) {
                current.cancel();
            }
        }

        @Override
        public void run() {
            if (!deadlines.remove(connection, this)) {
                return; // the request arrived, or the connection closed, just now
            }
            if (afterAnswer && connection.getBytesIn() == bytesIn) {
                log.debug("Closing {}: idle for {} ms after an answer", connection.getEndPoint()
                        .getRemoteSocketAddress(), after.toMillis());
            } else {
                timedOut.run();
                log.debug("Cutting {}: no complete request head within {} ms", connection.getEndPoint()
                        .getRemoteSocketAddress(), after.toMillis());
            }
            connection.getEndPoint().close(new TimeoutException(
                    "no complete request head within " + after.toMillis() + " ms"));
        }
    }
}
