package io.wsbridge.bridge.auth.keycloak;

import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.client.Client;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ServiceConfigurationError;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.jboss.resteasy.client.jaxrs.ResteasyClientBuilder;
import org.keycloak.OAuth2Constants;
import org.keycloak.admin.client.JacksonProvider;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.admin.client.spi.ResteasyClientClassicProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the one Keycloak Admin client of a bridge or of the CLI, logged in with the client-credentials grant of the
 * bridge's service account. The client is built on first use, so constructing this class never touches the network,
 * and a failed build is retried on the next call.
 *
 * <p>After a failure Keycloak is not asked again for the settings' retry back-off: calls fail at once with the same
 * message, so an outage costs one timeout rather than one per question.
 *
 * <p>Every build and call runs with this class's loader as the thread's context class loader: inside a Connect
 * worker the context loader is the worker's, and the Admin client's {@code ServiceLoader} lookups (RESTEasy,
 * Jackson modules) would otherwise mix the worker's classes with the plugin's.
 */
public final class KeycloakAdmin implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KeycloakAdmin.class);

    /** The Admin client's own default, kept: enough for the bridge's concurrent upgrades. */
    private static final int CONNECTION_POOL_SIZE = 10;

    /** The priority Keycloak's own client registers its lenient Jackson provider with. */
    private static final int JACKSON_PROVIDER_PRIORITY = 100;

    /** A call against one realm of the Admin API. Answers that are not errors (a 404 for "no such group") are the
     * call's to catch. */
    @FunctionalInterface
    public interface AdminCall<T> {
        T apply(RealmResource realm);
    }

    private final KeycloakSettings settings;
    private final OutageGate gate;
    private final Object lock = new Object();
    private Keycloak keycloak;
    private boolean closed;

    public KeycloakAdmin(KeycloakSettings settings) {
        this.settings = settings;
        this.gate = new OutageGate(settings.retryBackoff(), System::nanoTime);
    }

    public KeycloakSettings settings() {
        return settings;
    }

    /**
     * Whether Keycloak answered the last call (true before the first one): the bridge's readiness. During an outage it
     * turns false with the first failed call and true again with the first answer.
     */
    public boolean reachable() {
        return gate.answering();
    }

    /**
     * Runs one Admin API call as the service account.
     *
     * @param what what the call does, for the error message, e.g. {@code "look up user 'alice'"}
     * @throws KeycloakUnavailableException Keycloak cannot be reached, did not answer in time, refused the service
     *     account, or failed; the message says which
     */
    public <T> T call(String what, AdminCall<T> call) throws KeycloakUnavailableException {
        gate.check();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(KeycloakAdmin.class.getClassLoader());
        try {
            T result = call.apply(client().realm(settings.realm()));
            gate.succeeded();
            return result;
        } catch (RuntimeException e) {
            KeycloakUnavailableException failure = translate(settings, what, e);
            LOG.debug("Keycloak call to {} failed: {}", what, failure.getMessage(), e);
            gate.failed(failure);
            throw failure;
        } catch (ServiceConfigurationError | LinkageError e) {
            KeycloakUnavailableException failure = new KeycloakUnavailableException("the Keycloak Admin client cannot"
                    + " be loaded (" + e + "): a class loading conflict with the host's libraries", e);
            gate.failed(failure);
            throw failure;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private Keycloak client() throws KeycloakUnavailableException {
        synchronized (lock) {
            if (closed) {
                throw new KeycloakUnavailableException("the Keycloak Admin client is closed", null);
            }
            if (keycloak == null) {
                keycloak = build();
                LOG.info("Keycloak Admin client for realm '{}' at {} as the service account of client '{}'",
                        settings.realm(), settings.url(), settings.clientId());
            }
            return keycloak;
        }
    }

    /**
     * Keycloak's own client builder (RESTEasy's, instantiated directly: a {@code ClientBuilder.newBuilder()} lookup
     * could find the host's Jersey inside a Connect worker) with timeouts, which Keycloak's defaults do not set.
     */
    private Keycloak build() {
        ResteasyClientBuilder builder = ResteasyClientClassicProvider.createClientBuilder();
        builder.register(JacksonProvider.class, JACKSON_PROVIDER_PRIORITY);
        builder.connectionPoolSize(CONNECTION_POOL_SIZE)
                .connectionCheckoutTimeout(settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .connectTimeout(settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(settings.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
        Client http = builder.build();
        try {
            return KeycloakBuilder.builder()
                    .serverUrl(settings.url())
                    .realm(settings.realm())
                    .grantType(OAuth2Constants.CLIENT_CREDENTIALS)
                    .clientId(settings.clientId())
                    .clientSecret(settings.clientSecret())
                    .resteasyClient(http)
                    .build();
        } catch (RuntimeException e) {
            http.close();
            throw e;
        }
    }

    @Override
    public void close() {
        Keycloak toClose;
        synchronized (lock) {
            closed = true;
            toClose = keycloak;
            keycloak = null;
        }
        if (toClose == null) {
            return;
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(KeycloakAdmin.class.getClassLoader());
        try {
            toClose.close();
        } catch (RuntimeException e) {
            LOG.debug("Closing the Keycloak Admin client failed", e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Turns what the Admin client throws into one line that says what to check. Never includes the secret. */
    static KeycloakUnavailableException translate(KeycloakSettings settings, String what, Throwable error) {
        String keycloak = "Keycloak at " + settings.url();
        WebApplicationException http = find(error, WebApplicationException.class);
        if (http != null) {
            int status = http.getResponse() == null ? 0 : http.getResponse().getStatus();
            // A failure of the token request surfaces from the client's auth filter, wrapped in a ProcessingException.
            boolean tokenRequest = error instanceof ProcessingException;
            if (tokenRequest && (status == 400 || status == 401)) {
                return new KeycloakUnavailableException(keycloak + " refused the client credentials of client '"
                        + settings.clientId() + "' in realm '" + settings.realm() + "' (HTTP " + status
                        + "): check the client id and secret, and that the client has a service account", error);
            }
            if (tokenRequest && status == 404) {
                return new KeycloakUnavailableException(keycloak + " has no realm '" + settings.realm() + "' (HTTP 404)",
                        error);
            }
            if (status == 401 || status == 403) {
                return new KeycloakUnavailableException("the service account of client '" + settings.clientId()
                        + "' may not " + what + " (HTTP " + status + "): give it the realm-management roles"
                        + " view-users, query-users, query-groups and manage-users", error);
            }
            return new KeycloakUnavailableException(keycloak + " answered HTTP " + status + " to " + what, error);
        }
        if (find(error, SocketTimeoutException.class) != null) {
            return new KeycloakUnavailableException(keycloak + " did not answer within "
                    + human(settings.readTimeout()), error);
        }
        InterruptedIOException connectTimeout = find(error, InterruptedIOException.class);
        if (connectTimeout != null) {
            return new KeycloakUnavailableException(keycloak + " cannot be reached within "
                    + human(settings.connectTimeout()), error);
        }
        IOException io = firstOf(error, ConnectException.class, UnknownHostException.class,
                NoRouteToHostException.class, SSLException.class, IOException.class);
        if (io != null) {
            return new KeycloakUnavailableException(keycloak + " cannot be reached: " + describe(io), error);
        }
        return new KeycloakUnavailableException("the Keycloak request to " + what + " failed: " + describe(error),
                error);
    }

    private static String describe(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
    }

    static String human(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    private static <T extends Throwable> T find(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    @SafeVarargs
    private static IOException firstOf(Throwable error, Class<? extends IOException>... types) {
        for (Class<? extends IOException> type : types) {
            IOException found = find(error, type);
            if (found != null) {
                return found;
            }
        }
        return null;
    }
}
