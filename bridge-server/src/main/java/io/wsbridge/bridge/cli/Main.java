package io.wsbridge.bridge.cli;

import io.wsbridge.bridge.auth.keycloak.ApiKeyFormat;
import io.wsbridge.bridge.auth.keycloak.ApiKeyInfo;
import io.wsbridge.bridge.auth.keycloak.ApiKeyManagementException;
import io.wsbridge.bridge.auth.keycloak.ApiKeyManager;
import io.wsbridge.bridge.auth.keycloak.KeycloakAdmin;
import io.wsbridge.bridge.auth.keycloak.KeycloakApiKeys;
import io.wsbridge.bridge.auth.keycloak.KeycloakSettings;
import io.wsbridge.bridge.auth.keycloak.KeycloakUnavailableException;
import io.wsbridge.bridge.auth.keycloak.NewApiKey;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;

/**
 * The {@code wsbridge} command: {@code wsbridge stream APPLICATION} prints an application's events;
 * {@code wsbridge keys create|list|revoke} manages API keys. Standard output carries only the result (events, the new
 * key, the list); errors and status lines go to standard error, one line each. The exit status says how it ended
 * ({@link #USAGE_TEXT} has the table), so that scripts can tell a bad key from a missing application.
 */
public final class Main {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int UNAUTHORIZED = 3;
    static final int NOT_FOUND = 4;
    static final int ACCESS_ENDED = 5;

    static final String USAGE_TEXT = """
            Usage: wsbridge COMMAND [OPTIONS]

            Commands:
              stream APPLICATION               print the application's events as they arrive
              keys create --user NAME          create an API key for NAME; prints the key, and only the key
              keys list --user NAME            list NAME's API keys: key id and creation time
              keys revoke --user NAME KEY_ID   revoke one of NAME's keys; bridges stop accepting it within
                                               their cache time to live

            wsbridge stream APPLICATION [OPTIONS]
              Connects to the bridge's WebSocket stream of APPLICATION and prints each event (a CloudEvent
              in JSON): indented and coloured on a terminal (no colours if NO_COLOR is set), one compact
              JSON document per line, exactly as received, when standard output is a pipe or a file.
              Status lines go to standard error. Reconnects with backoff (0.5 s doubling to 30 s) when the
              connection drops or the bridge closes it with 1001, 1006, 1011, 1012 or 1013, and resumes
              after the last event it printed (?from=<its wsbridgecursor>): nothing is lost or printed twice
              (not with --group-id: a group's other members had those events). On exit the last cursor is
              printed to standard error ("wsbridge: last cursor: ..."), for a later --from.

              --url URL              WSBRIDGE_URL       the bridge, default ws://localhost:8085 (wss:// for TLS)
              --channel CHANNEL                         only events whose subject is CHANNEL
              --group-id GROUP                          share the stream round-robin with GROUP's other members
              --filter EXPRESSION                       only events that match the CloudEvents SQL EXPRESSION,
                                                        e.g. "device = 'device-1' AND subject = 'alarm'"
              --from FROM                               where to start: earliest (all the topics still hold),
                                                        latest (default: from now), an RFC 3339 time such as
                                                        2026-12-02T15:04:05Z, or a cursor printed before
              -n, --count N                             exit after N events (counted across reconnects; the
                                                        bridge's own notices, such as a gap, are not counted)
            Credentials, one kind (an option overrides the environment; none = anonymous):
              --token TOKEN          WSBRIDGE_TOKEN     an OIDC access token (Authorization: Bearer)
              --token-command CMD                       a shell command that prints a fresh access token (or a
                                                        token response with access_token); run at start and
                                                        again at 80 % of each token's lifetime, the new token
                                                        being sent over the open connection
              --username NAME        WSBRIDGE_USERNAME  with an API key (Authorization: Basic)
              --api-key KEY          WSBRIDGE_API_KEY
              Prefer the variables for tokens and keys: other users can read a command line.

            wsbridge keys create|list|revoke
              Manages the API keys that subscribers can use instead of OIDC tokens. Only a hash of each key
              is stored, in Keycloak, so a key is shown once, when it is created; create refuses while the
              realm's user profile lets users edit the key attribute. Keycloak, as the service account of a
              client with the realm-management roles view-users, query-users and manage-users (its own, not
              the bridge's; an option overrides its environment variable):
              --keycloak-url URL       WSBRIDGE_KEYCLOAK_URL     e.g. http://127.0.0.1:8080
              --realm REALM            WSBRIDGE_REALM            e.g. wsbridge
              --client-id ID           WSBRIDGE_CLIENT_ID        e.g. wsbridge-cli
              --client-secret SECRET   WSBRIDGE_CLIENT_SECRET    prefer the variable: other users can
                                                                 read a command line
            Other options:
              -h, --help               show this help

            Exit status:
              0  success; stream: the --count events were printed
              1  failure: keys: no such user or key, Keycloak unreachable or refusing the service account,
                 a realm whose users may edit the key attribute (create);
                 stream: the bridge closed the connection with another code, the token command failed,
                 standard output was closed
              2  usage error; stream: the bridge answered 400 (bad request)
              3  stream: the bridge answered 401 (bad, expired or unverifiable credentials) or 403 (forbidden)
              4  stream: the bridge answered 404 (no such application, or not allowed to read it)
              5  stream: the bridge closed the connection with 1008 (access ended: the token expired, a
                 refresh was refused, or access was revoked)
            """;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;
    private final Function<KeycloakAdmin, ApiKeyManager> keyManagers;

    /**
     * @param terminal whether standard output is a terminal: events are then indented and coloured
     * @param keyManagers builds the key manager on the Admin client ({@link KeycloakApiKeys#KeycloakApiKeys}, but for
     *     tests)
     */
    Main(Map<String, String> env, PrintStream out, PrintStream err, boolean terminal,
            Function<KeycloakAdmin, ApiKeyManager> keyManagers) {
        this.env = env;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
        this.keyManagers = keyManagers;
    }

    public static void main(String[] args) {
        quietLibraries();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        int status = new Main(System.getenv(), out, err, isTerminal(), KeycloakApiKeys::new).run(args);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs one command line and returns the exit status. */
    int run(String[] args) {
        CommandLine line;
        try {
            line = CommandLine.parse(args);
        } catch (UsageException e) {
            return usageError(e.getMessage());
        }
        if (line.help()) {
            out.print(USAGE_TEXT);
            return OK;
        }
        try {
            return switch (line.command()) {
                case "stream" -> stream(line);
                case "keys" -> keys(line);
                default -> throw new UsageException("unknown command '" + line.command() + "'");
            };
        } catch (UsageException e) {
            return usageError(e.getMessage());
        }
    }

    private int stream(CommandLine line) throws UsageException {
        StreamSettings settings = StreamSettings.of(line, env);
        boolean colour = terminal && env.getOrDefault("NO_COLOR", "").isEmpty()
                && !"dumb".equals(env.get("TERM"));
        EventPrinter printer = terminal ? EventPrinter.pretty(out, colour) : EventPrinter.compact(out);
        TokenCommand tokenCommand = settings.credentials() instanceof StreamSettings.Credentials.TokenCommand command
                ? new TokenCommand(command.command(), TokenCommand.TIMEOUT) : null;
        Backoff backoff = new Backoff(Backoff.INITIAL, Backoff.MAX, Math::random);
        try (StreamClient client = new StreamClient(settings, printer, err, backoff, tokenCommand)) {
            return client.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FAILED;
        }
    }

    private int keys(CommandLine line) throws UsageException {
        line.expectOptions(CommandLine.KEYS_OPTIONS);
        String action = line.action("create, list or revoke");
        switch (action) {
            case "create", "list" -> line.expectArguments(0, "keys " + action + " --user NAME");
            case "revoke" -> line.expectArguments(1, "keys revoke --user NAME KEY_ID");
            default -> throw new UsageException("unknown keys command '" + action + "': use create, list or revoke");
        }
        String user = line.required("user", "keys " + action + " needs --user NAME");
        if (action.equals("revoke") && !ApiKeyFormat.isKeyId(line.arguments().get(0))) {
            throw new UsageException("KEY_ID must be a key id as shown by 'wsbridge keys list' ("
                    + ApiKeyFormat.KEY_ID_LENGTH + " letters and digits), not the key itself");
        }
        KeycloakSettings settings = settings(line);
        try (KeycloakAdmin admin = new KeycloakAdmin(settings)) {
            ApiKeyManager keys = keyManagers.apply(admin);
            switch (action) {
                case "create" -> {
                    NewApiKey created = keys.create(user);
                    out.println(created.key());
                    err.println("created API key " + created.keyId() + " for user '" + user
                            + "'; it is not shown again");
                }
                case "list" -> printKeys(keys.list(user), user);
                default -> {
                    String keyId = line.arguments().get(0);
                    keys.revoke(user, keyId);
                    err.println("revoked API key " + keyId + " of user '" + user + "'");
                }
            }
            return OK;
        } catch (ApiKeyManagementException | KeycloakUnavailableException e) {
            return failure(e.getMessage());
        }
    }

    private void printKeys(List<ApiKeyInfo> keys, String user) {
        if (keys.isEmpty()) {
            err.println("user '" + user + "' has no API keys");
            return;
        }
        out.printf("%-10s %s%n", "KEY ID", "CREATED");
        for (ApiKeyInfo key : keys) {
            out.printf("%-10s %s%n", key.keyId(), key.created());
        }
    }

    private KeycloakSettings settings(CommandLine line) throws UsageException {
        String url = option(line, "keycloak-url", "WSBRIDGE_KEYCLOAK_URL", "the Keycloak URL");
        String realm = option(line, "realm", "WSBRIDGE_REALM", "the realm");
        String clientId = option(line, "client-id", "WSBRIDGE_CLIENT_ID", "the service account's client id");
        String secret = option(line, "client-secret", "WSBRIDGE_CLIENT_SECRET", "the service account's client secret");
        try {
            return KeycloakSettings.of(url, realm, clientId, secret);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage().replaceFirst("^url ", "--keycloak-url "));
        }
    }

    private String option(CommandLine line, String name, String variable, String what) throws UsageException {
        String value = line.option(name);
        if (value == null) {
            value = env.get(variable);
        }
        if (value == null || value.isBlank()) {
            throw new UsageException("missing " + what + ": give --" + name + " or set " + variable);
        }
        return value;
    }

    private int usageError(String message) {
        err.println("wsbridge: " + oneLine(message) + " (see wsbridge --help)");
        return USAGE;
    }

    private int failure(String message) {
        err.println("wsbridge: " + oneLine(message));
        return FAILED;
    }

    private static String oneLine(String message) {
        return message == null ? "failed" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    /**
     * Whether standard output is a terminal. From Java 22 on {@code System.console()} exists even when output is
     * redirected, and {@code Console.isTerminal()} tells.
     */
    private static boolean isTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /**
     * The Admin client logs through JBoss Logging to java.util.logging and SLF4J would warn that it has no
     * provider: neither belongs on a command's standard error.
     */
    private static void quietLibraries() {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        java.util.logging.Logger.getLogger("").setLevel(Level.OFF);
    }
}
