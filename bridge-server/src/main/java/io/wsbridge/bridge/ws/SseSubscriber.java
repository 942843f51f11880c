package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.session.CloseCodes;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Server-Sent Events subscriber: an HTTP response that stays open and carries the events as
 * {@code text/event-stream} messages ({@link SseFormat}), gzip-compressed if the client accepts it ({@link SseGzip}).
 * Everything else is as for a WebSocket subscriber ({@link ClientSubscriber}): the same outbox and overflow policy,
 * the same access checks. SSE has no close frame and no client messages: when the bridge ends a stream (the token
 * expired, access was revoked, the client was too slow, the server stops) its last message is a CloudEvent of type
 * {@value Notices#CLOSED_TYPE} with the close code and reason a WebSocket client would get; and a client cannot
 * refresh its token, so its stream ends when the token expires. A comment every ping interval keeps a quiet stream
 * (and the proxies on its way) alive; a client that stops reading fills the outbox, or fails the write when the
 * connection's idle timeout passes.
 */
final class SseSubscriber extends ClientSubscriber {

    private static final Logger log = LoggerFactory.getLogger(SseSubscriber.class);
    /** How long a browser waits before it reconnects a dropped stream ({@code retry:}). */
    static final long RETRY_MILLIS = 2_000;
    /** How long the last message of a stream the bridge ends may take before the connection is cut. */
    private static final long ABORT_AFTER_MILLIS = 5_000;
    private static final Event KEEP_ALIVE = new Event("-", null, "");

    private final Request request;
    private final Response response;
    private final Callback done;
    private final SseGzip gzip;
    private volatile boolean writable;
    private final AtomicBoolean closeRequested = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Event closingNotice;

    /**
     * @param done completes the request when the stream ends
     * @param gzip whether to compress the stream
     */
    SseSubscriber(SubscriberHost host, Admission.Ticket ticket, Request request, Response response, Callback done,
            boolean gzip, String remote) {
        this(host, ticket.route().application(), ticket.route().channel(), ticket.groupId(), ticket.filter(),
                ticket.credentials(), ticket.decision(), request, response, done, gzip, remote);
    }

    private SseSubscriber(SubscriberHost host, String application, String channel, String groupId, String filter,
            Credentials credentials, AccessDecision access, Request request, Response response, Callback done,
            boolean gzip, String remote) {
        super(host, application, channel, groupId, filter, credentials, access, remote);
        this.request = request;
        this.response = response;
        this.done = done;
        this.gzip = gzip ? new SseGzip() : null;
    }

    @Override
    public String transport() {
        return "sse";
    }

    /**
     * Answers 200 with the stream's headers and its first bytes, joins the router, and starts a catch-up if it has
     * one. Events that arrive before the first bytes are written wait in the outbox.
     */
    void start(String allowedOrigin) {
        response.setStatus(200);
        var headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, "text/event-stream;charset=utf-8");
        headers.put(HttpHeader.CACHE_CONTROL, "no-store");
        headers.put(HttpHeader.CONNECTION, "close"); // the connection's slot ends with the stream
        headers.put("X-Accel-Buffering", "no"); // proxies that buffer answers (nginx) pass each message at once
        headers.put("X-Content-Type-Options", "nosniff");
        if (allowedOrigin != null) {
            headers.put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, allowedOrigin);
            headers.put(HttpHeader.VARY, "Origin");
        }
        if (gzip != null) {
            headers.put(HttpHeader.CONTENT_ENCODING, "gzip");
            headers.put(HttpHeader.VARY, "Accept-Encoding");
        }
        request.getConnectionMetaData().getConnection().getEndPoint()
                .setIdleTimeout(host.settings().pongTimeout().multipliedBy(2).toMillis());
        request.addFailureListener(cause -> end(cause));
        host.opened(this);
        startCatchup();
        ByteBuffer preamble = ByteBuffer.wrap(SseFormat.preamble(RETRY_MILLIS));
        response.write(false, gzip == null ? preamble : gzip.compress(preamble, false), Callback.from(() -> {
            writable = true;
            outbox.flush();
        }, this::end));
    }

    @Override
    boolean writable() {
        return writable;
    }

    @Override
    boolean control(Event item) {
        return item == KEEP_ALIVE || item == closingNotice || super.control(item);
    }

    @Override
    void writeBatch(List<Event> batch, Callback written) {
        SseFormat.Bytes bytes = new SseFormat.Bytes(batch.size() * 600);
        boolean last = false;
        for (Event item : batch) {
            if (item == KEEP_ALIVE) {
                bytes.write(SseFormat.KEEP_ALIVE);
            } else {
                SseFormat.append(item, bytes);
                last |= item == closingNotice;
            }
        }
        ByteBuffer out = gzip == null ? bytes.buffer() : gzip.compress(bytes.buffer(), last);
        Callback callback = !last ? written : Callback.from(() -> {
            written.succeeded();
            end(null);
        }, failure -> {
            written.failed(failure);
            end(failure);
        });
        response.write(last, out, callback);
    }

    @Override
    void writeFailed(Throwable cause) {
        end(cause);
    }

    @Override
    void checkLiveness(long nowNanos, long timeoutNanos) {
        if (writable && !ended.get() && outbox.size() == 0) {
            outbox.offer(KEEP_ALIVE); // not into a queue that holds events: drop-oldest would drop one for it
        }
    }

    @Override
    public boolean isOpen() {
        return !ended.get();
    }

    /**
     * Ends the stream with a last message that says why ({@value Notices#CLOSED_TYPE}), after what is being
     * written; the events still queued are dropped, as a WebSocket close drops them. The connection is cut if that
     * message is not taken in time.
     */
    @Override
    public void close(int code, String reason) {
        endCatchup();
        if (ended.get() || !closeRequested.compareAndSet(false, true)) {
            outbox.close();
            return;
        }
        host.metrics().closed(code, transport());
        Event notice = Notices.closed(application(), code, reason);
        closingNotice = notice;
        boolean queued = outbox.closeWith(notice);
        host.closed(this); // once the queue is closed: a group member's queued events go to the others
        if (!queued) {
            end(null); // a write failed before: nothing more can be sent
            return;
        }
        host.schedule(() -> {
            if (!ended.get()) {
                log.debug("SSE subscriber {} did not take its last message in time; cutting it", remote);
                end(new TimeoutException("the stream's last message was not taken in time"));
            }
        }, ABORT_AFTER_MILLIS);
    }

    /** Completes the request, once: with success after the last message, or with the failure that ended it. */
    private void end(Throwable failure) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        writable = false;
        endCatchup();
        outbox.close();
        if (gzip != null) {
            gzip.end();
        }
        host.closed(this);
        log.debug("SSE subscriber {} of '{}' ended{}", remote, application(),
                failure == null ? "" : ": " + failure);
        if (failure == null) {
            done.succeeded();
        } else {
            done.failed(failure);
        }
    }

    @Override
    public String toString() {
        return "SseSubscriber[" + remote + " -> " + application() + (channel() == null ? "" : "/" + channel())
                + (groupId() == null ? "" : " group=" + groupId()) + "]";
    }
}
