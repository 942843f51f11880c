import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;

/**
 * A minimal wsbridge consumer with nothing but the JDK (Java 17+): connects to an application's stream with an API
 * key and prints each CloudEvent, one JSON document per line.
 *
 * <pre>
 * java StreamConsumer.java ws://localhost:8085 acme-private alice "$KEY" [count] [group-id]
 * </pre>
 *
 * The key goes in an {@code Authorization: Basic base64(username:api-key)} header; browsers, which cannot set headers,
 * use {@code ?username=..&api_key=..} instead. Exits 0 after {@code count} events (or runs until the server closes the
 * connection), 1 if the upgrade is refused (401 bad key, 404 no such application or not a member).
 */
public class StreamConsumer {

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: java StreamConsumer.java <ws-url> <application> <username> <api-key> [count]"
                    + " [group-id]");
            System.exit(2);
        }
        String url = args[0].replaceAll("/+$", "");
        String application = args[1];
        String credentials = args[2] + ":" + args[3];
        int count = args.length > 4 ? Integer.parseInt(args[4]) : Integer.MAX_VALUE;
        String query = args.length > 5 ? "?group_id=" + URLEncoder.encode(args[5], StandardCharsets.UTF_8) : "";
        URI uri = URI.create(url + "/" + URLEncoder.encode(application, StandardCharsets.UTF_8) + query);

        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket.Listener printer = new WebSocket.Listener() {
            private final StringBuilder message = new StringBuilder();
            private int received;

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                message.append(data);
                if (last) {
                    System.out.println(message);
                    message.setLength(0);
                    if (++received >= count) {
                        done.countDown();
                        return null;
                    }
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                System.err.println("closed by the server: " + statusCode + " " + reason);
                closed.complete(statusCode);
                done.countDown();
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                System.err.println("connection failed: " + error);
                closed.complete(1006);
                done.countDown();
            }
        };

        WebSocket socket;
        try {
            socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .header("Authorization", "Basic " + Base64.getEncoder()
                            .encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
                    .buildAsync(uri, printer)
                    .join();
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof java.net.http.WebSocketHandshakeException refused) {
                System.err.println("refused: HTTP " + refused.getResponse().statusCode() + " for " + uri);
            } else {
                System.err.println("cannot connect to " + uri + ": " + cause);
            }
            System.exit(1);
            return;
        }
        done.await();
        if (!closed.isDone()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }
    }
}
