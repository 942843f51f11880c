package io.wsbridge.bridge.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code wsbridge stream}: keeps one WebSocket connection to an application's stream and prints its events, until
 * {@code --count} events have been printed or the bridge ends it for good. Drops, restarts and overload (close codes
 * 1001, 1006, 1011, 1012, 1013, 5xx answers, unreachable bridge) lead to a new connection after a backoff; refusals
 * (400, 401, 403, 404) and ended access (1008) end the command with their own exit status. With
 * {@code --token-command} the token is fetched again at 80 % of its lifetime and sent as
 * {@code {"RefreshAccessToken":"..."}}. Status lines go to standard error and never show a secret.
 *
 * <p>A reconnect resumes after the last event printed ({@code ?from=} its {@code wsbridgecursor}), so nothing is lost
 * or printed twice; not for a group member (the group's other members got what it missed), and not where the bridge
 * says it cannot resume (then it says that events may be missing and streams from now on). The last cursor is printed
 * on exit, for a later {@code --from}.
 *
 * <p>Over 300 lines because the reconnect loop, the token refresh and the exit-status rules decide
 * together what happens after each outcome of a connection, and read best in one place; the parts that stand alone
 * (settings, backoff, printing, the token command) are classes of their own.
 */
final class StreamClient implements AutoCloseable {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The client pings this often; the bridge answers pings. */
    static final Duration PING_INTERVAL = Duration.ofSeconds(20);
    /** A connection on which nothing at all arrives for this long is given up as dead (a half-open TCP connection). */
    static final Duration SILENCE_LIMIT = Duration.ofSeconds(60);
    static final Duration REFRESH_RETRY = Duration.ofSeconds(5);
    static final Set<Integer> RECONNECT_CODES = Set.of(1001, 1006, 1011, 1012, 1013);
    static final int MIN_REDACTED_LENGTH = 8;

    private static final Map<Integer, String> CODE_NAMES = Map.ofEntries(Map.entry(1000, "normal closure"),
            Map.entry(1001, "going away"), Map.entry(1002, "protocol error"), Map.entry(1003, "unsupported data"),
            Map.entry(1006, "abnormal closure"), Map.entry(1007, "bad payload"), Map.entry(1008, "policy violation"),
            Map.entry(1009, "message too big"), Map.entry(1011, "internal error"), Map.entry(1012, "service restart"),
            Map.entry(1013, "try again later"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HTML_TITLE = Pattern.compile("<title>Error \\d+ (.*?)</title>", Pattern.DOTALL);

    private sealed interface Outcome {
    }

    private record Done() implements Outcome {
    }

    private record OutputClosed() implements Outcome {
    }

    private record Closed(int code, String reason) implements Outcome {
    }

    private record Failed(Throwable error) implements Outcome {
    }

    private record Silent() implements Outcome {
    }

    private final StreamSettings settings;
    private final EventPrinter printer;
    private final PrintStream err;
    private final Backoff backoff;
    private final TokenCommand tokenCommand;
    private final AtomicLong printed = new AtomicLong();
    private final Object tokenLock = new Object();
    private ScheduledExecutorService scheduler;
    private volatile AccessToken token;
    private Instant refreshAt;
    private ScheduledFuture<?> pendingRefresh;
    private volatile Connection current;
    /** The {@code wsbridgecursor} of the last event printed, or {@code null}. */
    private volatile String cursor;
    /** Set once the bridge refused to resume from a cursor: reconnects start from now. */
    private boolean resumeRefused;

    /** @param tokenCommand the refresh source, for {@link StreamSettings.Credentials.TokenCommand} only */
    StreamClient(StreamSettings settings, EventPrinter printer, PrintStream err, Backoff backoff,
            TokenCommand tokenCommand) {
        this.settings = settings;
        this.printer = printer;
        this.err = err;
        this.backoff = backoff;
        this.tokenCommand = tokenCommand;
    }

    /**
     * Streams until done; returns the exit status, having said why on standard error unless it is 0, and the last
     * cursor if there was one.
     */
    int run() throws InterruptedException {
        try {
            return stream();
        } finally {
            String last = cursor;
            if (last != null) {
                status("last cursor: " + last + " (continue after it with --from " + last + ")");
            }
        }
    }

    /** Where the next connection starts: after the last event printed, if it can. */
    private String nextFrom(boolean connectedBefore) {
        if (settings.groupId() == null && cursor != null && !resumeRefused) {
            return cursor;
        }
        return connectedBefore && resumeRefused ? null : settings.from();
    }

    private int stream() throws InterruptedException {
        scheduler = Executors.newScheduledThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "wsbridge-stream");
            thread.setDaemon(true);
            return thread;
        });
        HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        if (tokenCommand != null) {
            try {
                renewToken();
            } catch (TokenCommandException e) {
                return fail(Main.FAILED, e.getMessage());
            }
        }
        scheduler.scheduleAtFixedRate(this::keepAlive, PING_INTERVAL.toMillis(), PING_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        boolean connectedBefore = false;
        while (true) {
            if (connectedBefore && tokenCommand != null && tokenDue()) {
                try {
                    renewToken();
                } catch (TokenCommandException e) {
                    status("token refresh failed: " + e.getMessage() + "; reconnecting with the current token");
                }
            }
            Connection connection = new Connection();
            AccessToken upgradeToken = token;
            String from = nextFrom(connectedBefore);
            boolean resuming = from != null && from.equals(cursor);
            URI uri = settings.uri(from);
            String shown = resuming ? settings.uri(null) + " (resuming after the last event printed)" : uri.toString();
            WebSocket socket;
            try {
                socket = connect(http, connection, upgradeToken, uri);
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                if (cause instanceof WebSocketHandshakeException refused) {
                    int code = refused.getResponse().statusCode();
                    String reason = reason(refused.getResponse().body());
                    if (resuming && (code == 400 || code == 501)) {
                        resumeRefused = true;
                        status("cannot resume here (" + code + (reason == null ? "" : ": " + reason)
                                + "); streaming from now on: events in between may be missing");
                        continue;
                    }
                    Integer exit = refused(code, reason);
                    if (exit != null) {
                        return exit;
                    }
                } else {
                    retry("cannot connect to " + shown + ": " + describe(cause));
                }
                continue;
            }
            current = connection;
            status((connectedBefore ? "reconnected to " : "connected to ") + shown);
            connectedBefore = true;
            backoff.reset();
            if (token != upgradeToken) {
                connection.sendRefresh(token);
            }
            Outcome outcome;
            try {
                outcome = connection.outcome.get();
            } catch (ExecutionException e) {
                outcome = new Failed(e.getCause()); // never happens: outcomes are values, not exceptions
            }
            current = null;
            if (outcome instanceof Done) {
                connection.closeNormally();
                return Main.OK;
            }
            if (outcome instanceof OutputClosed) {
                socket.abort();
                return Main.FAILED;
            }
            if (outcome instanceof Closed closed) {
                if (closed.code() == 1008) {
                    return fail(Main.ACCESS_ENDED, "access ended: " + orElse(closed.reason(), "policy violation"));
                }
                if (!RECONNECT_CODES.contains(closed.code())) {
                    return fail(Main.FAILED, "the bridge closed the connection: " + describe(closed));
                }
                retry("connection closed (" + describe(closed) + ")");
            } else if (outcome instanceof Silent) {
                socket.abort();
                retry("no answer from the bridge for " + seconds(SILENCE_LIMIT));
            } else if (outcome instanceof Failed failed) {
                socket.abort();
                retry("connection lost: " + describe(failed.error()));
            }
        }
    }

    private WebSocket connect(HttpClient http, Connection connection, AccessToken upgradeToken, URI uri)
            throws ExecutionException, TimeoutException, InterruptedException {
        // JSON error bodies carry the refusal's reason without HTML around it.
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT)
                .header("Accept", "application/json");
        String authorization = settings.credentials().authorization(upgradeToken == null ? null : upgradeToken.value());
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        CompletableFuture<WebSocket> opening = builder.buildAsync(uri, connection);
        try {
            return opening.get(CONNECT_TIMEOUT.multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | InterruptedException e) {
            opening.cancel(true);
            throw e;
        }
    }

    /** The exit status for a refused upgrade, or {@code null} after waiting to try again. */
    private Integer refused(int status, String reason) throws InterruptedException {
        return switch (status) {
            case 400 -> fail(Main.USAGE, "bad request: " + orElse(reason, "the bridge refused the request"));
            case 401 -> fail(Main.UNAUTHORIZED, "unauthorized: " + orElse(reason, "the bridge refused the credentials"));
            case 403 -> fail(Main.UNAUTHORIZED, "forbidden: " + orElse(reason, "the bridge refused the connection"));
            case 404 -> fail(Main.NOT_FOUND, "no such application, or not allowed to read it: '"
                    + settings.application() + "'"
                    + (settings.credentials() instanceof StreamSettings.Credentials.Anonymous
                            ? " (connected anonymously: give --token, --token-command or --username with --api-key)"
                            : ""));
            case 501 -> fail(Main.FAILED, "the bridge cannot do this (501): " + orElse(reason, "not implemented"));
            default -> {
                if (status >= 500) {
                    retry("the bridge answered " + status + (reason == null ? "" : " (" + reason + ")"));
                    yield null;
                }
                yield fail(Main.FAILED, "the bridge refused the upgrade with status " + status
                        + (reason == null ? "" : ": " + reason));
            }
        };
    }

    private void retry(String what) throws InterruptedException {
        Duration delay = backoff.next();
        status(what + "; reconnecting in " + seconds(delay));
        Thread.sleep(delay.toMillis());
    }

    /** Pings the open connection, and gives it up if nothing has arrived for too long. */
    private void keepAlive() {
        Connection connection = current;
        if (connection == null) {
            return;
        }
        if (System.nanoTime() - connection.lastHeard > SILENCE_LIMIT.toNanos()) {
            connection.outcome.complete(new Silent());
        } else {
            connection.ping();
        }
    }

    private boolean tokenDue() {
        synchronized (tokenLock) {
            return refreshAt == null || !Instant.now().isBefore(refreshAt);
        }
    }

    /** Runs the token command, and schedules the next run at 80 % of the new token's lifetime. */
    private AccessToken renewToken() throws TokenCommandException, InterruptedException {
        synchronized (tokenLock) {
            Instant fetched = Instant.now();
            AccessToken fresh = tokenCommand.fetch();
            token = fresh;
            if (pendingRefresh != null) {
                pendingRefresh.cancel(false);
                pendingRefresh = null;
            }
            refreshAt = null;
            if (fresh.expiresAt() == null) {
                status("the token from --token-command has no exp claim: it is fetched again only to reconnect");
            } else if (!fresh.expiresAt().isAfter(fetched)) {
                status("the token from --token-command has already expired");
            } else {
                long lifetime = Duration.between(fetched, fresh.expiresAt()).toMillis();
                refreshAt = fetched.plusMillis(lifetime * 8 / 10);
                pendingRefresh = scheduler.schedule(this::refreshInBackground, lifetime * 8 / 10,
                        TimeUnit.MILLISECONDS);
            }
            return fresh;
        }
    }

    private void refreshInBackground() {
        try {
            AccessToken fresh = renewToken();
            Connection connection = current;
            if (connection != null) {
                connection.sendRefresh(fresh);
            }
        } catch (TokenCommandException e) {
            status("token refresh failed: " + e.getMessage() + "; trying again in " + seconds(REFRESH_RETRY));
            synchronized (tokenLock) {
                pendingRefresh = scheduler.schedule(this::refreshInBackground, REFRESH_RETRY.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int fail(int exit, String message) {
        status(message);
        return exit;
    }

    private void status(String message) {
        err.println("wsbridge: " + redact(message));
    }

    /**
     * One line, without control characters or anything secret. The bridge never puts credentials into its answers;
     * this is a second line of defence, for secrets long enough not to match ordinary words.
     */
    private String redact(String message) {
        String line = message.replaceAll("\\s*[\\r\\n]+\\s*", " ").replaceAll("\\p{Cntrl}", "");
        List<String> secrets = new ArrayList<>(settings.secrets());
        AccessToken current = token;
        if (current != null) {
            secrets.add(current.value());
        }
        for (String secret : secrets) {
            if (secret.length() >= MIN_REDACTED_LENGTH) {
                line = line.replace(secret, "***");
            }
        }
        return line;
    }

    private static String unescapeHtml(String text) {
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&apos;", "'").replace("&amp;", "&");
    }

    /** The reason of a refused upgrade, from the bridge's JSON (or HTML) error body. */
    static String reason(Object body) {
        if (!(body instanceof String text) || text.isBlank()) {
            return null;
        }
        try {
            JsonNode message = JSON.readTree(text).path("message");
            if (message.isTextual() && !message.asText().isBlank()) {
                return unescapeHtml(message.asText()); // Jetty escapes the message for HTML in its JSON too
            }
        } catch (IOException e) {
            Matcher title = HTML_TITLE.matcher(text);
            if (title.find()) {
                return unescapeHtml(title.group(1));
            }
        }
        return null;
    }

    /**
     * The {@code wsbridgecursor} of an event frame: the bridge puts it first, {@code {"wsbridgecursor":"...",}; a
     * frame without it (a notice, or a bridge that does not know positions) has none.
     */
    static String cursorOf(String frame) {
        String prefix = "{\"wsbridgecursor\":\"";
        if (!frame.startsWith(prefix)) {
            return null;
        }
        int end = frame.indexOf('"', prefix.length());
        return end < 0 ? null : frame.substring(prefix.length(), end);
    }

    /** A message of the bridge's own (source {@code /wsbridge}, such as a gap notice), not an event. */
    static boolean isNotice(String frame) {
        return frame.contains("\"source\":\"/wsbridge\"") && frame.contains("\"type\":\"io.wsbridge.");
    }

    private static String dataOf(String frame) {
        try {
            return JSON.readTree(frame).path("data").toString();
        } catch (JsonProcessingException e) {
            return frame;
        }
    }

    private static String describe(Closed closed) {
        String name = CODE_NAMES.getOrDefault(closed.code(), "close code");
        return closed.code() + " " + name + (closed.reason() == null || closed.reason().isBlank() ? ""
                : ": " + closed.reason());
    }

    private static String describe(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException) {
                return "connection refused";
            }
            if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException) {
                return "timed out";
            }
            if (cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException) {
                return "unknown host";
            }
        }
        Throwable root = error;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }

    private static String orElse(String reason, String fallback) {
        return reason == null || reason.isBlank() ? fallback : reason;
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }

    @Override
    public void close() {
        Connection connection = current;
        if (connection != null && connection.socket != null) {
            connection.socket.abort();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    /** One WebSocket connection: prints its events and completes {@link #outcome} when it ends. */
    private final class Connection implements WebSocket.Listener {

        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        final StringBuilder text = new StringBuilder();
        volatile WebSocket socket;
        volatile long lastHeard = System.nanoTime();

        @Override
        public void onOpen(WebSocket webSocket) {
            socket = webSocket;
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            lastHeard = System.nanoTime();
            if (outcome.isDone()) {
                return null;
            }
            text.append(data);
            if (last) {
                String event = text.toString();
                text.setLength(0);
                String position = cursorOf(event);
                boolean notice = position == null && isNotice(event);
                if (!printer.print(event)) {
                    outcome.complete(new OutputClosed());
                    return null;
                }
                if (position != null) {
                    cursor = position;
                }
                if (notice) {
                    if (event.contains("\"type\":\"io.wsbridge.gap\"")) {
                        status("the bridge reports a gap in the stream: " + dataOf(event));
                    }
                    webSocket.request(1);
                    return null;
                }
                long count = printed.incrementAndGet();
                if (settings.count() > 0 && count >= settings.count()) {
                    outcome.complete(new Done());
                    return null;
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            lastHeard = System.nanoTime();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            lastHeard = System.nanoTime();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            lastHeard = System.nanoTime();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            outcome.complete(new Closed(statusCode, reason));
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            outcome.complete(new Failed(error));
            closed.complete(null);
        }

        void ping() {
            WebSocket webSocket = socket;
            if (webSocket != null && !webSocket.isOutputClosed()) {
                webSocket.sendPing(ByteBuffer.allocate(0));
            }
        }

        void sendRefresh(AccessToken fresh) {
            WebSocket webSocket = socket;
            if (webSocket == null || webSocket.isOutputClosed()) {
                return;
            }
            String message = "{\"RefreshAccessToken\":\""
                    + new String(JsonStringEncoder.getInstance().quoteAsString(fresh.value())) + "\"}";
            try {
                webSocket.sendText(message, true).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                status("sent a fresh access token"
                        + (fresh.expiresAt() == null ? "" : "; it expires at " + fresh.expiresAt()));
            } catch (ExecutionException | TimeoutException e) {
                status("cannot send the fresh access token: " + describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Ends the connection with 1000 and waits briefly for the bridge to answer the close. */
        void closeNormally() throws InterruptedException {
            try {
                socket.request(Long.MAX_VALUE); // the bridge's close answer waits for demand like a message
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(2, TimeUnit.SECONDS);
                closed.get(2, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // the bridge is gone or slow: nothing left to wait for
            } finally {
                socket.abort();
            }
        }
    }
}
