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
 * The {@code wsbridge} command: {@code wsbridge keys create|list|revoke}. Standard output carries only the result
 * (the new key, the list); errors are one line on standard error. Exit status 0 on success, 1 on a failure (unknown
 * user or key, Keycloak unreachable or refusing the service account), 2 on a usage error.
 */
public final class Main {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    static final String USAGE_TEXT = """
            Usage: wsbridge [OPTIONS] COMMAND

            Manages the API keys that wsbridge subscribers can use instead of OIDC tokens
            (Authorization: Basic base64(username:api-key), or ?username=..&api_key=..).
            Only a hash of each key is stored, in Keycloak, so a key is shown once, when it is created.

            Commands:
              keys create --user NAME          create an API key for NAME; prints the key, and only the key
              keys list --user NAME            list NAME's API keys: key id and creation time
              keys revoke --user NAME KEY_ID   revoke one of NAME's keys; bridges stop accepting it within
                                               their cache time to live

            Keycloak, as the bridge's service account (an option overrides its environment variable):
              --keycloak-url URL       WSBRIDGE_KEYCLOAK_URL     e.g. http://127.0.0.1:8080
              --realm REALM            WSBRIDGE_REALM            e.g. wsbridge
              --client-id ID           WSBRIDGE_CLIENT_ID        e.g. wsbridge-bridge
              --client-secret SECRET   WSBRIDGE_CLIENT_SECRET    prefer the variable: other users can
                                                                 read a command line
            Other options:
              -h, --help               show this help

            Exit status: 0 success, 1 failure (no such user or key, Keycloak unreachable or refusing
            the service account), 2 usage error.
            """;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final Function<KeycloakAdmin, ApiKeyManager> keyManagers;

    /**
     * @param keyManagers builds the key manager on the Admin client ({@link KeycloakApiKeys#KeycloakApiKeys}, but for
     *     tests)
     */
    Main(Map<String, String> env, PrintStream out, PrintStream err, Function<KeycloakAdmin, ApiKeyManager> keyManagers) {
        this.env = env;
        this.out = out;
        this.err = err;
        this.keyManagers = keyManagers;
    }

    public static void main(String[] args) {
        quietLibraries();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        int status = new Main(System.getenv(), out, err, KeycloakApiKeys::new).run(args);
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
                case "keys" -> keys(line);
                default -> throw new UsageException("unknown command '" + line.command() + "'");
            };
        } catch (UsageException e) {
            return usageError(e.getMessage());
        }
    }

    private int keys(CommandLine line) throws UsageException {
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
     * The Admin client logs through JBoss Logging to java.util.logging and SLF4J would warn that it has no
     * provider: neither belongs on a command's standard error.
     */
    private static void quietLibraries() {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        java.util.logging.Logger.getLogger("").setLevel(Level.OFF);
    }
}
