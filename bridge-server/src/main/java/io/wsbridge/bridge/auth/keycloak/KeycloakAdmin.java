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
 * <p>Only an outage trips the {@link OutageGate}: Keycloak cannot be reached or does not answer in time, answers 5xx,
 * refuses the service account's login (whatever the question), or the client cannot be loaded. Keycloak
 * is then not asked again for the settings' retry back-off (calls fail at once with the same message, so an outage
 * costs one timeout rather than one per question), and {@link #reachable()}, the bridge's readiness, is false until
 * Keycloak answers again. A 4xx answer is an answer: the call fails with {@link KeycloakRefusedException} and Keycloak
 * counts as answering, so a request whose lookup Keycloak rejects cannot turn every other client away. A 401 to an
 * Admin API call means the service account's token is no longer accepted (its signing key was rotated, its session
 * ended): the call is made once more with a fresh token. 408, 429 and failures of the client itself fail only that
 * call ({@link KeycloakUnavailableException}, without the back-off).
 *
 * <p>Every build and call runs with this class's loader as the thread's context class loader: inside a Connect
 * worker the context loader is the worker's, and the Admin client's {@code ServiceLoader} lookups (RESTEasy,
 * Jackson modules) would otherwise mix the worker's classes with the plugin's.
 *
 * <p>Over 300 lines because it is the one place that decides what a failure of the Admin API means (outage, answer,
 * retry with a new token, failure of one call) for every call the bridge and the CLI make; the lookups themselves live
 * in {@code KeycloakApiKeys} and {@code KeycloakApplicationDirectory}.
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
    /** A 403 is logged once at warning level: it says the service account lacks roles, and could flood the log. */
    private volatile boolean forbiddenLogged;

    public KeycloakAdmin(KeycloakSettings settings) {
        this.settings = settings;
        this.gate = new OutageGate(settings.retryBackoff(), System::nanoTime);
    }

    public KeycloakSettings settings() {
        return settings;
    }

    /**
     * Whether Keycloak answered the last call (true before the first one): the bridge's readiness. It turns false with
     * the first call that finds an outage and true again with the first answer; a refusal (4xx) is an answer.
     */
    public boolean reachable() {
        return gate.answering();
    }

    /**
     * Runs one Admin API call as the service account.
     *
     * @param what what the call does, for the error message, e.g. {@code "look up user 'alice'"}
     * @throws KeycloakUnavailableException Keycloak cannot be reached, did not answer in time, refused the service
     *     account, failed (5xx), or this call could not be made; the message says which
     * @throws KeycloakRefusedException Keycloak answered this call with a client error (4xx)
     */
    public <T> T call(String what, AdminCall<T> call) throws KeycloakUnavailableException, KeycloakRefusedException {
        gate.check();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(KeycloakAdmin.class.getClassLoader());
        try {
            RealmResource realm = realm();
            for (int attempt = 1; ; attempt++) {
                try {
                    T result = call.apply(realm);
                    gate.succeeded();
                    return result;
                } catch (RuntimeException e) {
                    Failure failure = classify(settings, what, e);
                    if (failure.kind() == Kind.TOKEN_REJECTED && attempt == 1) {
                        // The client's auth filter forgot the rejected token: the next attempt logs in afresh.
                        LOG.debug("Keycloak refused the service account's access token to {} (HTTP 401): logging in"
                                + " again", what);
                        continue;
                    }
                    LOG.debug("Keycloak call to {} failed: {}", what, failure.message(), e);
                    throw record(failure, e);
                }
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            KeycloakUnavailableException failure = new KeycloakUnavailableException("the Keycloak Admin client cannot"
                    + " be loaded (" + e + "): a class loading conflict with the host's libraries", e);
            gate.failed(failure);
            throw failure;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The realm's Admin API, building the client first if needed; a client that cannot be built is an outage. */
    private RealmResource realm() throws KeycloakUnavailableException {
        try {
            return client().realm(settings.realm());
        } catch (RuntimeException e) {
            KeycloakUnavailableException failure = new KeycloakUnavailableException("the Keycloak Admin client for "
                    + settings.url() + " cannot be used: " + describe(e), e);
            gate.failed(failure);
            throw failure;
        }
    }

    /**
     * Records what the failure says about Keycloak (an answer, an outage, or nothing).
     *
     * @return the exception for an outage or a call that got no answer
     * @throws KeycloakRefusedException for a refusal, which is an answer
     */
    private KeycloakUnavailableException record(Failure failure, RuntimeException cause)
            throws KeycloakRefusedException {
        switch (failure.kind()) {
            case REFUSED -> {
                gate.succeeded();
                if (failure.status() == 403 && !forbiddenLogged) {
                    forbiddenLogged = true;
                    LOG.warn("{} (logged once; later refusals at debug level)", failure.message());
                }
                throw new KeycloakRefusedException(failure.status(), failure.message(), cause);
            }
            case NOT_ANSWERED -> {
                return new KeycloakUnavailableException(failure.message(), cause);
            }
            default -> {
                KeycloakUnavailableException outage = new KeycloakUnavailableException(failure.message(), cause);
                gate.failed(outage);
                return outage;
            }
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

    /** What a failed call says about Keycloak. */
    enum Kind {
        /** Keycloak is down, too slow, failing, or does not let the service account in: trips the back-off. */
        OUTAGE,
        /** 401 to an Admin API call: the service account's token is no longer accepted; worth one fresh token. */
        TOKEN_REJECTED,
        /** This call got no answer (408, 429, a failure of the client itself): it fails alone. */
        NOT_ANSWERED,
        /** Keycloak answered this call with a client error: an answer. */
        REFUSED
    }

    /** A classified failure: its kind, the HTTP status if any (else 0), and one line that says what to check. */
    record Failure(Kind kind, int status, String message) {
    }

    /** Classifies what the Admin client throws; the message never includes the secret. */
    static Failure classify(KeycloakSettings settings, String what, Throwable error) {
        String keycloak = "Keycloak at " + settings.url();
        WebApplicationException http = find(error, WebApplicationException.class);
        if (http != null) {
            int status = http.getResponse() == null ? 0 : http.getResponse().getStatus();
            // A failure of the token request surfaces from the client's auth filter, wrapped in a ProcessingException:
            // the service account cannot log in, whatever the question.
            if (error instanceof ProcessingException) {
                if (status == 400 || status == 401) {
                    return new Failure(Kind.OUTAGE, status, keycloak + " refused the client credentials of client '"
                            + settings.clientId() + "' in realm '" + settings.realm() + "' (HTTP " + status
                            + "): check the client id and secret, and that the client has a service account");
                }
                if (status == 404) {
                    return new Failure(Kind.OUTAGE, status, keycloak + " has no realm '" + settings.realm()
                            + "' (HTTP 404)");
                }
                return new Failure(Kind.OUTAGE, status, keycloak + " answered HTTP " + status
                        + " to the login of client '" + settings.clientId() + "'");
            }
            if (status == 401) {
                return new Failure(Kind.TOKEN_REJECTED, status, keycloak + " refused the access token of the service"
                        + " account of client '" + settings.clientId() + "' to " + what + " (HTTP 401), a fresh one"
                        + " too");
            }
            if (status == 403) {
                return new Failure(Kind.REFUSED, status, "the service account of client '" + settings.clientId()
                        + "' may not " + what + " (HTTP 403): give it the realm-management roles"
                        + " view-users, query-users and query-groups (the bridge), or view-users, query-users and"
                        + " manage-users (the wsbridge keys command)");
            }
            if (status == 408 || status == 429) {
                return new Failure(Kind.NOT_ANSWERED, status, keycloak + " did not take the request to " + what
                        + " (HTTP " + status + ")");
            }
            if (status >= 400 && status < 500) {
                return new Failure(Kind.REFUSED, status, keycloak + " refused to " + what + " (HTTP " + status + ")");
            }
            return new Failure(Kind.OUTAGE, status, keycloak + " answered HTTP " + status + " to " + what);
        }
        if (find(error, SocketTimeoutException.class) != null) {
            return new Failure(Kind.OUTAGE, 0, keycloak + " did not answer within " + human(settings.readTimeout()));
        }
        InterruptedIOException connectTimeout = find(error, InterruptedIOException.class);
        if (connectTimeout != null) {
            return new Failure(Kind.OUTAGE, 0, keycloak + " cannot be reached within "
                    + human(settings.connectTimeout()));
        }
        IOException io = firstOf(error, ConnectException.class, UnknownHostException.class,
                NoRouteToHostException.class, SSLException.class, IOException.class);
        if (io != null) {
            return new Failure(Kind.OUTAGE, 0, keycloak + " cannot be reached: " + describe(io));
        }
        return new Failure(Kind.NOT_ANSWERED, 0, "the Keycloak request to " + what + " failed: " + describe(error));
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
