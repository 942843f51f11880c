package io.wsbridge.bridge.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves the console page: {@code /} and its few static files under {@code /_wsbridge/console/}, from the jar (the
 * chart library from its web jar). Nothing is built at run time and nothing comes from elsewhere: the page's Content
 * Security Policy lets it load scripts and styles from the bridge only and connect to the bridge only, so the
 * credentials typed into it cannot go anywhere else. Other requests go to the next handler, and so do all of them
 * while the console is off.
 */
public final class ConsoleHandler extends Handler.Wrapper {

    /** Where the console's files are served; under the prefix reserved for the bridge itself. */
    public static final String PREFIX = "/_wsbridge/console/";

    private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";
    private static final String OWN = "io/wsbridge/bridge/console/";
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** What the page asks before it subscribes: whether it may resume with {@code ?from=<cursor>} after a drop. */
    static final String FEATURES = PREFIX + "features.json";

    private final BooleanSupplier enabled;
    private final BooleanSupplier resumable;
    private final Map<String, Asset> assets;

    /**
     * @param enabled read on each request, so that reconfiguring the bridge turns the console on or off
     * @param resumable whether the bridge can replay from Kafka now (it has a Kafka connection)
     * @param next where every other request goes
     */
    public ConsoleHandler(BooleanSupplier enabled, BooleanSupplier resumable, Handler next) {
        super(next);
        this.enabled = enabled;
        this.resumable = resumable;
        ClassLoader loader = ConsoleHandler.class.getClassLoader();
        this.assets = Map.of(
                "/", Asset.load(loader, OWN + "index.html", "text/html;charset=utf-8"),
                PREFIX + "console.js", Asset.load(loader, OWN + "console.js", "text/javascript;charset=utf-8"),
                PREFIX + "console.css", Asset.load(loader, OWN + "console.css", "text/css;charset=utf-8"),
                PREFIX + "uPlot.iife.min.js", Asset.load(loader, UPLOT + "uPlot.iife.min.js",
                        "text/javascript;charset=utf-8"),
                PREFIX + "uPlot.min.css", Asset.load(loader, UPLOT + "uPlot.min.css", "text/css;charset=utf-8"));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        Asset asset = FEATURES.equals(path)
                ? new Asset(("{\"resume\":" + resumable.getAsBoolean() + "}").getBytes(StandardCharsets.UTF_8),
                        "application/json")
                : assets.get(path);
        if (asset == null || !enabled.getAsBoolean()
                || !(HttpMethod.GET.is(method) || HttpMethod.HEAD.is(method))) {
            return super.handle(request, response, callback);
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, asset.contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, asset.bytes.length);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put("Content-Security-Policy", CSP);
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put("Referrer-Policy", "no-referrer");
        response.getHeaders().put("X-Frame-Options", "DENY");
        if (HttpMethod.HEAD.is(method)) {
            callback.succeeded();
        } else {
            response.write(true, ByteBuffer.wrap(asset.bytes).asReadOnlyBuffer(), callback);
        }
        return true;
    }

    /** One file of the console, read from the jar once. */
    private record Asset(byte[] bytes, String contentType) {

        static Asset load(ClassLoader loader, String resource, String contentType) {
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("the console's file " + resource + " is missing from the jar");
                }
                return new Asset(in.readAllBytes(), contentType);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the console's file " + resource, e);
            }
        }
    }
}
