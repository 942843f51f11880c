import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal wsbridge consumer with nothing but the JDK (Java 17+): connects to an application's stream with an API
 * key and prints each CloudEvent, one JSON document per line. When the connection drops or the bridge restarts, it
 * reconnects with {@code ?from=} the {@code wsbridgecursor} of the last event it printed, so it misses nothing and
 * prints nothing twice (not with a group: the group's other members had those events).
 *
 * <pre>
 * java StreamConsumer.java ws://localhost:8085 acme-private alice "$KEY" [count] [group-id]
 * </pre>
 *
 * The key goes in an {@code Authorization: Basic base64(username:api-key)} header; browsers, which cannot set headers,
 * use {@code ?username=..&api_key=..} instead. Exits 0 after {@code count} events, 1 if the upgrade is refused (401
 * bad key, 404 no such application or not a member) or the bridge closes the stream for good (1008 access ended).
 */
public class StreamConsumer {

    /** Close codes after which a new connection may succeed: going away, abnormal, server error, restart, overload. */
    private static final Set<Integer> RECONNECT = Set.of(1001, 1006, 1011, 1012, 1013);
    /** The bridge puts the cursor first in every event frame. */
    private static final Pattern CURSOR = Pattern.compile("^\\{\"wsbridgecursor\":\"([A-Za-z0-9_-]+)\"");

    private static String cursor; // of the last event printed
    private static int received;

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: java StreamConsumer.java <ws-url> <application> <username> <api-key> [count]"
                    + " [group-id]");
            System.exit(2);
        }
        String url = args[0].replaceAll("/+$", "") + "/" + URLEncoder.encode(args[1], StandardCharsets.UTF_8);
        String authorization = "Basic " + Base64.getEncoder()
                .encodeToString((args[2] + ":" + args[3]).getBytes(StandardCharsets.UTF_8));
        int count = args.length > 4 ? Integer.parseInt(args[4]) : Integer.MAX_VALUE;
        String group = args.length > 5 ? "group_id=" + URLEncoder.encode(args[5], StandardCharsets.UTF_8) : null;
        HttpClient http = HttpClient.newHttpClient();

        while (true) {
            String query = group != null ? "?" + group : cursor != null ? "?from=" + cursor : "";
            URI uri = URI.create(url + query);
            CompletableFuture<Integer> ended = new CompletableFuture<>(); // a close code, or 0 when done
            WebSocket socket;
            try {
                socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                        .header("Authorization", authorization).buildAsync(uri, listener(count, ended)).join();
            } catch (Exception e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (cause instanceof java.net.http.WebSocketHandshakeException refused) {
                    System.err.println("refused: HTTP " + refused.getResponse().statusCode() + " for " + uri);
                    System.exit(1);
                }
                System.err.println("cannot connect to " + uri + ": " + cause + "; trying again in 1 s");
                Thread.sleep(1_000);
                continue;
            }
            int code = ended.join();
            if (code == 0) {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
                return;
            }
            if (!RECONNECT.contains(code)) {
                System.exit(1);
            }
            Thread.sleep(1_000);
        }
    }

    private static WebSocket.Listener listener(int count, CompletableFuture<Integer> ended) {
        return new WebSocket.Listener() {
            private final StringBuilder message = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                message.append(data);
                if (last) {
                    String event = message.toString();
                    message.setLength(0);
                    System.out.println(event);
                    Matcher position = CURSOR.matcher(event);
                    if (position.find()) {
                        cursor = position.group(1);
                    }
                    if (event.contains("\"source\":\"/wsbridge\"")) {
                        System.err.println("notice of the bridge (not counted): " + event);
                    } else if (++received >= count) {
                        ended.complete(0);
                        return null;
                    }
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                System.err.println("closed by the server: " + statusCode + " " + reason);
                ended.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                System.err.println("connection failed: " + error);
                ended.complete(1006);
            }
        };
    }
}
