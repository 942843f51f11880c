package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.settings.BridgeSettings;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The public listener of the WebSocket server: plain HTTP/1.1 or TLS from the settings' key store, no server version
 * in answers, encoded slashes allowed in a path segment (a channel may contain one), and the deadline for request
 * heads.
 */
final class PublicListener {

    private PublicListener() {
    }

    static ServerConnector connector(Server server, BridgeSettings settings, HandshakeDeadlines deadlines) {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // A channel (CloudEvent subject) may contain a slash, sent encoded as %2F; Route decodes each segment.
        http.setUriCompliance(UriCompliance.DEFAULT.with("wsbridge", UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR));
        HttpConnectionFactory http1 = new HttpConnectionFactory(http);
        http1.addEventListener(deadlines);
        ServerConnector connector;
        if (settings.tls() == null) {
            connector = new ServerConnector(server, http1);
        } else {
            BridgeSettings.Tls tls = settings.tls();
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(tls.keyStore().toString());
            ssl.setKeyStoreType(tls.type());
            ssl.setKeyStorePassword(tls.password());
            if (tls.keyPassword() != null) {
                ssl.setKeyManagerPassword(tls.keyPassword());
            }
            http.addCustomizer(new SecureRequestCustomizer(false));
            connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), http1);
        }
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        return connector;
    }
}
