package io.wsbridge.bridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.auth.keycloak.ApiKeyInfo;
import io.wsbridge.bridge.auth.keycloak.ApiKeyManagementException;
import io.wsbridge.bridge.auth.keycloak.ApiKeyManager;
import io.wsbridge.bridge.auth.keycloak.KeycloakSettings;
import io.wsbridge.bridge.auth.keycloak.KeycloakUnavailableException;
import io.wsbridge.bridge.auth.keycloak.NewApiKey;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {

    static final String KEY = "wsb_k3m9x2ab_" + "0123456789abcdefghjkmnpqrstvwxyz0123456789abcdefghjk";
    static final String SECRET = "s3cret-value";

    final Map<String, String> env = new HashMap<>(Map.of(
            "WSBRIDGE_KEYCLOAK_URL", "http://127.0.0.1:8080",
            "WSBRIDGE_REALM", "wsbridge",
            "WSBRIDGE_CLIENT_ID", "wsbridge-cli",
            "WSBRIDGE_CLIENT_SECRET", SECRET));
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final List<String> calls = new ArrayList<>();
    KeycloakSettings settings;
    Exception failure;

    final ApiKeyManager manager = new ApiKeyManager() {
        @Override
        public NewApiKey create(String username) throws ApiKeyManagementException, KeycloakUnavailableException {
            record("create " + username);
            return new NewApiKey("k3m9x2ab", KEY, Instant.parse("2025-11-27T19:45:12Z"));
        }

        @Override
        public List<ApiKeyInfo> list(String username) throws ApiKeyManagementException, KeycloakUnavailableException {
            record("list " + username);
            return username.equals("bob") ? List.of() : List.of(
                    new ApiKeyInfo("k3m9x2ab", Instant.parse("2025-11-27T19:45:12Z")),
                    new ApiKeyInfo("p4q7r8s9", Instant.parse("2025-11-28T08:00:00Z")));
        }

        @Override
        public void revoke(String username, String keyId)
                throws ApiKeyManagementException, KeycloakUnavailableException {
            record("revoke " + username + " " + keyId);
        }

        private void record(String call) throws ApiKeyManagementException, KeycloakUnavailableException {
            calls.add(call);
            if (failure instanceof ApiKeyManagementException e) {
                throw e;
            }
            if (failure instanceof KeycloakUnavailableException e) {
                throw e;
            }
        }
    };

    int run(String... args) {
        Main main = new Main(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false, admin -> {
                    settings = admin.settings();
                    return manager;
                });
        return main.run(args);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void createPrintsTheKeyAndOnlyTheKeyOnStandardOutput() {
        assertThat(run("keys", "create", "--user", "alice")).isZero();

        assertThat(out()).isEqualTo(KEY + System.lineSeparator());
        assertThat(err()).isEqualTo("created API key k3m9x2ab for user 'alice'; it is not shown again"
                + System.lineSeparator());
        assertThat(calls).containsExactly("create alice");
    }

    @Test
    void listPrintsOneLinePerKeyUnderAHeader() {
        assertThat(run("keys", "list", "--user=alice")).isZero();

        assertThat(out()).isEqualTo(String.join(System.lineSeparator(),
                "KEY ID     CREATED",
                "k3m9x2ab   2025-11-27T19:45:12Z",
                "p4q7r8s9   2025-11-28T08:00:00Z", ""));
    }

    @Test
    void anEmptyListSaysSoOnStandardError() {
        assertThat(run("keys", "list", "--user", "bob")).isZero();

        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo("user 'bob' has no API keys" + System.lineSeparator());
    }

    @Test
    void revokeTakesTheKeyId() {
        assertThat(run("keys", "revoke", "--user", "alice", "k3m9x2ab")).isZero();

        assertThat(calls).containsExactly("revoke alice k3m9x2ab");
        assertThat(err()).isEqualTo("revoked API key k3m9x2ab of user 'alice'" + System.lineSeparator());
    }

    @Test
    void revokeRefusesAWholeKeyWithoutEchoingIt() {
        assertThat(run("keys", "revoke", "--user", "alice", KEY)).isEqualTo(2);

        assertThat(err()).isEqualTo("wsbridge: KEY_ID must be a key id as shown by 'wsbridge keys list'"
                + " (8 letters and digits), not the key itself (see wsbridge --help)" + System.lineSeparator());
        assertThat(calls).isEmpty();
    }

    @Test
    void theKeycloakConnectionComesFromTheEnvironment() {
        run("keys", "list", "--user", "alice");

        assertThat(settings).isEqualTo(KeycloakSettings.of("http://127.0.0.1:8080", "wsbridge", "wsbridge-cli",
                SECRET));
    }

    @Test
    void optionsOverrideTheEnvironmentAndMayComeAnywhere() {
        run("--keycloak-url", "https://kc.example.com", "keys", "--realm=other", "list", "--client-id", "cli",
                "--user", "alice", "--client-secret", "another");

        assertThat(settings).isEqualTo(KeycloakSettings.of("https://kc.example.com", "other", "cli", "another"));
    }

    @Test
    void helpPrintsTheUsageOnStandardOutput() {
        assertThat(run("keys", "create", "--help")).isZero();

        assertThat(out()).isEqualTo(Main.USAGE_TEXT).contains("keys create --user NAME", "WSBRIDGE_CLIENT_SECRET",
                "stream APPLICATION", "Exit status:");
        assertThat(err()).isEmpty();
        assertThat(run("-h")).isZero();
    }

    @Test
    void usageErrorsAreOneLineAndExitWithTwo() {
        assertUsageError(new String[] {}, "wsbridge: missing command (see wsbridge --help)");
        assertUsageError(new String[] {"streams"}, "wsbridge: unknown command 'streams' (see wsbridge --help)");
        assertUsageError(new String[] {"keys"},
                "wsbridge: missing keys command: use create, list or revoke (see wsbridge --help)");
        assertUsageError(new String[] {"keys", "rotate", "--user", "alice"},
                "wsbridge: unknown keys command 'rotate': use create, list or revoke (see wsbridge --help)");
        assertUsageError(new String[] {"keys", "create"}, "wsbridge: keys create needs --user NAME (see wsbridge --help)");
        assertUsageError(new String[] {"keys", "create", "--user"},
                "wsbridge: option --user needs a value (see wsbridge --help)");
        assertUsageError(new String[] {"keys", "create", "--user", "a", "--user", "b"},
                "wsbridge: option --user is given more than once (see wsbridge --help)");
        assertUsageError(new String[] {"keys", "create", "--user", "alice", "extra"},
                "wsbridge: too many arguments: usage: keys create --user NAME (see wsbridge --help)");
        assertUsageError(new String[] {"keys", "revoke", "--user", "alice"},
                "wsbridge: missing arguments: usage: keys revoke --user NAME KEY_ID (see wsbridge --help)");
        assertUsageError(new String[] {"keys", "list", "--usr", "alice"},
                "wsbridge: unknown option '--usr' (see wsbridge --help)");
        assertUsageError(new String[] {"keys", "list", "--user", "alice", "--count", "3"},
                "wsbridge: option --count does not apply to 'keys' (see wsbridge --help)");
    }

    @Test
    void aMissingConnectionSettingNamesTheOptionAndTheVariable() {
        env.remove("WSBRIDGE_KEYCLOAK_URL");
        assertUsageError(new String[] {"keys", "list", "--user", "alice"},
                "wsbridge: missing the Keycloak URL: give --keycloak-url or set WSBRIDGE_KEYCLOAK_URL"
                        + " (see wsbridge --help)");

        env.put("WSBRIDGE_KEYCLOAK_URL", "http://127.0.0.1:8080");
        env.remove("WSBRIDGE_CLIENT_SECRET");
        assertUsageError(new String[] {"keys", "list", "--user", "alice"},
                "wsbridge: missing the service account's client secret: give --client-secret or set"
                        + " WSBRIDGE_CLIENT_SECRET (see wsbridge --help)");
    }

    @Test
    void aBadUrlIsAUsageError() {
        assertUsageError(new String[] {"keys", "list", "--user", "alice", "--keycloak-url", "kc:8080"},
                "wsbridge: --keycloak-url must be an http:// or https:// URL with a host, got kc:8080"
                        + " (see wsbridge --help)");
    }

    @Test
    void failuresAreOneLineAndExitWithOne() {
        failure = new ApiKeyManagementException("no user 'nobody' in realm 'wsbridge'");
        assertThat(run("keys", "create", "--user", "nobody")).isEqualTo(1);
        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo("wsbridge: no user 'nobody' in realm 'wsbridge'" + System.lineSeparator());
    }

    @Test
    void keycloakFailuresAreOneLineAndExitWithOne() {
        failure = new KeycloakUnavailableException("Keycloak at http://127.0.0.1:8080 refused the client credentials"
                + "\nof client 'wsbridge-cli'", null);

        assertThat(run("keys", "list", "--user", "alice")).isEqualTo(1);

        assertThat(err()).isEqualTo("wsbridge: Keycloak at http://127.0.0.1:8080 refused the client credentials of"
                + " client 'wsbridge-cli'" + System.lineSeparator());
    }

    @Test
    void theSecretIsNeverPrinted() {
        String[][] lines = {
            {"keys", "list", "--user", "alice", "--client-secret", SECRET, "--bogus"},
            {"keys", "list", "--user", "alice", "--client-secret=" + SECRET, "--keycloak-url", "nope"},
            {"keys", "list", "--user", "alice", "--client-secrett=" + SECRET},
            {"keys", "list", "--user", "alice", "--client-secret", SECRET, "--client-secret", SECRET},
            {"keys", "create", "--user", "alice"},
        };
        for (String[] line : lines) {
            run(line);
        }
        failure = new KeycloakUnavailableException("Keycloak at http://127.0.0.1:8080 cannot be reached", null);
        run("keys", "list", "--user", "alice");

        assertThat(out() + err()).doesNotContain(SECRET);
    }

    void assertUsageError(String[] args, String message) {
        out.reset();
        err.reset();
        assertThat(run(args)).as(String.join(" ", args)).isEqualTo(2);
        assertThat(err()).as(String.join(" ", args)).isEqualTo(message + System.lineSeparator());
        assertThat(out()).isEmpty();
    }
}
