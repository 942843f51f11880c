package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wsbridge.it.harness.ConnectRest;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.KeycloakExtension;
import io.wsbridge.it.harness.KeycloakServer;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import io.wsbridge.it.harness.WsClient;
import io.wsbridge.it.harness.WsbridgeCli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Keycloak setup of the README and the development realm, tried against a real Keycloak and a real Connect worker:
 * users cannot give themselves API keys through Keycloak's Account REST API, a bridge started against a realm that
 * would let them says so in its log, the bridge's service account reads but cannot write users, {@code wsbridge keys}
 * works with its own client, {@code validate} warns about a missing audience, and a token without the audience is
 * refused.
 */
@ExtendWith({KeycloakExtension.class, StackExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakSetupIT {

    private static final Logger LOG = LoggerFactory.getLogger(KeycloakSetupIT.class);
    private static final String PRIVATE_APP = "acme-private";
    private static final String TOPIC = "events-" + PRIVATE_APP;
    private static final String ATTRIBUTE = "wsbridge-api-keys";
    private static final String ALICE_PASSWORD = "alice-dev-password";
    private static final String KEY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
    private static final Duration LOG_WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Stack stack;
    private KeycloakServer keycloak;
    /** The shipped Keycloak config (audience set), against the development realm as imported. */
    private SinkConnector shipped;

    @BeforeAll
    void deploy(Stack stack, KeycloakServer keycloak) {
        this.stack = stack;
        this.keycloak = keycloak;
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, 1);
        shipped = keycloakConnector("keycloak-setup-it", Map.of());
        shipped.create().awaitRunning();
    }

    @AfterAll
    void deleteConnectors() {
        SinkConnector.closeAll(shipped);
    }

    @Test
    @Order(1)
    void theDevelopmentRealmKeepsTheApiKeyAttributeAwayFromItsUsers() {
        String bridge = "bridge on 127.0.0.1:" + shipped.port();
        await("the bridge's check of the realm in the worker's log").atMost(LOG_WAIT)
                .until(() -> workerLog().contains(bridge + ": checked that users cannot edit their API keys: the user"
                        + " profile of realm 'wsbridge' declares the attribute 'wsbridge-api-keys' editable by"
                        + " administrators only"));
        assertThat(workerLog()).as("no warning from the shipped config against the development realm")
                .doesNotContain("SECURITY: " + bridge);

        String forgedKey = randomKey();
        int status = setOwnAttribute("alice", ALICE_PASSWORD, storedValue(forgedKey));
        LOG.info("Keycloak's Account REST API answered {} to alice setting her own {}", status, ATTRIBUTE);

        assertThat(adminView("alice")).as("alice's %s as an administrator sees it", ATTRIBUTE)
                .noneMatch(value -> value.contains(hash(forgedKey)));
        assertThat(upgradeStatus(shipped, basic("alice", forgedKey))).as("a key alice made herself").isEqualTo(401);
        assertThat(ownAccount("alice", ALICE_PASSWORD).path("attributes").has(ATTRIBUTE))
                .as("alice's own view of her account shows no key hashes").isFalse();
    }

    @Test
    @Order(2)
    void aBridgeStartedAgainstARealmThatLetsUsersEditTheAttributeWarnsOnce() {
        JsonNode original = keycloak.admin("GET", "/admin/realms/" + KeycloakServer.REALM + "/users/profile", null);
        ObjectNode userEditable = original.deepCopy();
        for (JsonNode attribute : userEditable.path("attributes")) {
            if (attribute.path("name").asText().equals(ATTRIBUTE)) {
                ObjectNode permissions = (ObjectNode) attribute.path("permissions");
                permissions.set("view", JSON.valueToTree(List.of("admin", "user")));
                permissions.set("edit", JSON.valueToTree(List.of("admin", "user")));
            }
        }
        String forgedKey = randomKey();
        keycloak.admin("PUT", "/admin/realms/" + KeycloakServer.REALM + "/users/profile", userEditable);
        Map<String, String> noAudience = new HashMap<>();
        noAudience.put("auth.token.audience", "");
        try (SinkConnector exposed = keycloakConnector("keycloak-setup-exposed-it", noAudience)) {
            exposed.create().awaitRunning();
            String warning = "SECURITY: bridge on 127.0.0.1:" + exposed.port() + ": users can edit their own API keys:"
                    + " the user profile of realm 'wsbridge' lets users edit the attribute 'wsbridge-api-keys' (its"
                    + " edit permission includes 'user')";
            await("the warning in the worker's log").atMost(LOG_WAIT).until(() -> workerLog().contains(warning));
            await("no second warning").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> occurrences(workerLog(), warning) == 1);
            assertThat(workerLog()).as("the bridge without an audience says so too")
                    .contains("SECURITY: bridge on 127.0.0.1:" + exposed.port() + ": auth.token.audience is not set");

            // What the warning is about: with this profile alice can give herself a key, and it works.
            int status = setOwnAttribute("alice", ALICE_PASSWORD, storedValue(forgedKey));
            assertThat(status).as("the Account REST API taking alice's own key").isBetween(200, 299);
            assertThat(upgradeStatus(exposed, basic("alice", forgedKey))).as("the key alice made herself")
                    .isZero();

            WsbridgeCli.Result refused = WsbridgeCli.of(keycloak).run("keys", "create", "--user", "bob");
            assertThat(refused.exitCode()).as("wsbridge keys create against this realm").isEqualTo(1);
            assertThat(refused.stderr()).startsWith("wsbridge: no key created: the user profile of realm 'wsbridge'"
                    + " lets users edit the attribute 'wsbridge-api-keys'");
            assertThat(refused.stdout()).isEmpty();
        } finally {
            keycloak.admin("PUT", "/admin/realms/" + KeycloakServer.REALM + "/users/profile", original);
            removeAttributeValues("alice", hash(forgedKey));
        }
    }

    @Test
    @Order(3)
    void theBridgesServiceAccountReadsWhatTheBridgeNeedsAndCannotWriteUsers() {
        String token = keycloak.serviceAccountToken(KeycloakServer.BRIDGE_CLIENT, KeycloakServer.BRIDGE_CLIENT_SECRET);
        String realm = "/admin/realms/" + KeycloakServer.REALM;
        String aliceId = keycloak.userId("alice");
        // what the bridge asks: API keys, applications, memberships, and its check of the user profile
        for (String read : List.of(realm + "/users?exact=true&username=alice",
                realm + "/group-by-path/applications/" + PRIVATE_APP,
                realm + "/users/" + aliceId + "/groups?first=0&max=100&briefRepresentation=true",
                realm + "/users/profile")) {
            assertThat(keycloak.callWith(token, "GET", read, null).statusCode()).as("GET %s", read).isEqualTo(200);
        }

        ObjectNode mallory = JSON.createObjectNode().put("username", "mallory").put("enabled", true);
        assertThat(keycloak.callWith(token, "POST", realm + "/users", mallory).statusCode()).as("create a user")
                .isEqualTo(403);
        ObjectNode alice = (ObjectNode) JSON.valueToTree(keycloak.admin("GET", realm + "/users/" + aliceId, null));
        alice.putObject("attributes").set(ATTRIBUTE, JSON.valueToTree(List.of(storedValue(randomKey()))));
        assertThat(keycloak.callWith(token, "PUT", realm + "/users/" + aliceId, alice).statusCode())
                .as("write alice's attributes").isEqualTo(403);
        assertThat(keycloak.callWith(token, "PUT", realm + "/users/profile",
                keycloak.admin("GET", realm + "/users/profile", null)).statusCode()).as("change the user profile")
                .isEqualTo(403);

        WsbridgeCli.Result asBridge = WsbridgeCli.asBridge(keycloak).run("keys", "create", "--user", "alice");
        assertThat(asBridge.exitCode()).as("wsbridge keys create as the bridge's service account").isEqualTo(1);
        assertThat(asBridge.stderr()).isEqualTo("wsbridge: the service account of client 'wsbridge-bridge' may not"
                + " update the API keys of user 'alice' (HTTP 403): give it the realm-management roles view-users,"
                + " query-users and query-groups (the bridge), or view-users, query-users and manage-users (the"
                + " wsbridge keys command)" + System.lineSeparator());
    }

    @Test
    @Order(4)
    void wsbridgeKeysWorksWithItsOwnClient() {
        WsbridgeCli cli = WsbridgeCli.of(keycloak);
        String key = cli.createKey("alice");
        try (WsClient ws = WsClient.connect(shipped.uri("/" + PRIVATE_APP), basic("alice", key))) {
            assertThat(ws.closeStatus()).isEmpty();
        }
        assertThat(cli.listKeys("alice").stdout()).contains(WsbridgeCli.keyId(key));
        cli.revokeKey("alice", WsbridgeCli.keyId(key));
        await("the revoked key refused").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> upgradeStatus(shipped, basic("alice", key)) == 401);
    }

    @Test
    @Order(5)
    void validateWarnsWhenTokensAreAcceptedWithoutAnAudience() {
        Map<String, String> config = new LinkedHashMap<>(shipped.config());
        config.put("name", "keycloak-setup-validate-it");
        config.remove("auth.token.audience");
        String warning = "SECURITY: connector 'keycloak-setup-validate-it' sets keycloak.url but not"
                + " auth.token.audience: its bridge would accept a token of realm 'wsbridge' issued to any of the"
                + " realm's clients";
        int before = occurrences(workerLog(), warning);

        ConnectRest.Validation validation = stack.rest().validate(SinkConnector.CONNECTOR_CLASS, config);

        assertThat(validation.errorCount()).as("%s", validation).isZero();
        await("the warning in the worker's log").atMost(LOG_WAIT)
                .until(() -> occurrences(workerLog(), warning) == before + 1);

        config.put("auth.token.audience", KeycloakServer.BRIDGE_CLIENT);
        ConnectRest.Validation withAudience = stack.rest().validate(SinkConnector.CONNECTOR_CLASS, config);
        assertThat(withAudience.errorCount()).as("%s", withAudience).isZero();
        await("no warning with the audience set").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> occurrences(workerLog(), warning) == before + 1);
    }

    @Test
    @Order(6)
    void aTokenWithoutTheAudienceIsRefused() {
        String otherClient = "wsbridge-setup-it-other-app";
        ObjectNode client = JSON.createObjectNode().put("clientId", otherClient).put("publicClient", true)
                .put("directAccessGrantsEnabled", true).put("standardFlowEnabled", false);
        keycloak.admin("POST", "/admin/realms/" + KeycloakServer.REALM + "/clients", client);
        String other = keycloak.passwordTokens(KeycloakServer.REALM, otherClient, "alice", ALICE_PASSWORD)
                .path("access_token").asText();
        String own = keycloak.passwordToken("alice", ALICE_PASSWORD);
        assertThat(claims(other).path("aud").toString()).doesNotContain(KeycloakServer.BRIDGE_CLIENT);
        assertThat(claims(own).path("aud").toString()).contains(KeycloakServer.BRIDGE_CLIENT);

        assertThat(upgradeStatus(shipped, Map.of("Authorization", "Bearer " + other)))
                .as("alice's token of another client").isEqualTo(401);
        assertThat(upgradeStatus(shipped, Map.of("Authorization", "Bearer " + own)))
                .as("alice's token of the subscribers' client").isZero();
    }

    // ---- helpers

    /**
     * {@code config/websocket-sink-keycloak.json} on free ports of 127.0.0.1 against the test's Keycloak, reading the
     * private application's topic, with {@code overrides}.
     */
    private SinkConnector keycloakConnector(String name, Map<String, String> overrides) {
        Map<String, String> config = new LinkedHashMap<>();
        try {
            Path file = ItEnvironment.configFile("websocket-sink-keycloak.json")
                    .orElseThrow(() -> new IllegalStateException("no websocket-sink-keycloak.json in config/"));
            JSON.readTree(file.toFile()).path("config").properties()
                    .forEach(e -> config.put(e.getKey(), e.getValue().asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        config.keySet().removeAll(List.of("websocket.host", "websocket.port", "ops.host", "ops.port", "topics.regex"));
        config.put("topics", TOPIC);
        config.put("keycloak.url", keycloak.url());
        config.put("auth.cache.ttl.ms", "1000");
        config.put("auth.reauthorize.interval.ms", "2000");
        config.putAll(overrides);
        return SinkConnector.shipped(stack, name, config);
    }

    /** The account of {@code user} as the Account REST API shows it to the user. */
    private JsonNode ownAccount(String user, String password) {
        String token = keycloak.passwordToken(user, password);
        HttpResponse<String> answer = keycloak.callWith(token, "GET", "/realms/" + KeycloakServer.REALM + "/account",
                null);
        assertThat(answer.statusCode()).as("GET account: %s", answer.body()).isEqualTo(200);
        return json(answer.body());
    }

    /** {@code user}, with their own token, sets {@value #ATTRIBUTE} on themselves; the Account REST API's status. */
    private int setOwnAttribute(String user, String password, String value) {
        ObjectNode account = (ObjectNode) ownAccount(user, password);
        ObjectNode attributes = account.has("attributes") && account.get("attributes").isObject()
                ? (ObjectNode) account.get("attributes") : account.putObject("attributes");
        attributes.set(ATTRIBUTE, JSON.valueToTree(List.of(value)));
        account.remove("userProfileMetadata");
        String token = keycloak.passwordToken(user, password);
        HttpResponse<String> answer = keycloak.callWith(token, "POST", "/realms/" + KeycloakServer.REALM + "/account",
                account);
        LOG.info("POST account of {}: {} {}", user, answer.statusCode(), answer.body());
        return answer.statusCode();
    }

    /** The values of {@value #ATTRIBUTE} of {@code user}, as the administrator reads them. */
    private List<String> adminView(String user) {
        JsonNode values = keycloak.admin("GET", "/admin/realms/" + KeycloakServer.REALM + "/users/"
                + keycloak.userId(user), null).path("attributes").path(ATTRIBUTE);
        return values.isArray() ? JSON.convertValue(values, JSON.getTypeFactory()
                .constructCollectionType(List.class, String.class)) : List.of();
    }

    /** Removes the values of {@value #ATTRIBUTE} of {@code user} that contain {@code fragment}. */
    private void removeAttributeValues(String user, String fragment) {
        String path = "/admin/realms/" + KeycloakServer.REALM + "/users/" + keycloak.userId(user);
        ObjectNode rep = (ObjectNode) keycloak.admin("GET", path, null);
        JsonNode values = rep.path("attributes").path(ATTRIBUTE);
        if (!values.isArray()) {
            return;
        }
        ArrayNode kept = JSON.createArrayNode();
        values.forEach(value -> {
            if (!value.asText().contains(fragment)) {
                kept.add(value);
            }
        });
        ((ObjectNode) rep.get("attributes")).set(ATTRIBUTE, kept);
        keycloak.admin("PUT", path, rep);
    }

    /** A well-formed wsbridge API key nobody issued. */
    private static String randomKey() {
        SecureRandom random = new SecureRandom();
        StringBuilder key = new StringBuilder("wsb_");
        for (int i = 0; i < 8; i++) {
            key.append(KEY_ALPHABET.charAt(random.nextInt(KEY_ALPHABET.length())));
        }
        key.append('_');
        for (int i = 0; i < 52; i++) {
            key.append(KEY_ALPHABET.charAt(random.nextInt(KEY_ALPHABET.length())));
        }
        return key.toString();
    }

    /** The attribute value the bridge would accept {@code key} by (README: the development realm). */
    private static String storedValue(String key) {
        return "id=" + key.substring(4, 12) + ";alg=sha256;hash=" + hash(key) + ";created=2026-01-01T00:00:00Z";
    }

    private static String hash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> basic(String user, String key) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + key).getBytes(StandardCharsets.UTF_8)));
    }

    /** The upgrade's status on the private application: 0 when it opened (closed again at once). */
    private static int upgradeStatus(SinkConnector sink, Map<String, String> headers) {
        URI uri = sink.uri("/" + PRIVATE_APP);
        WsClient.Handshake handshake = WsClient.attempt(uri, headers);
        if (handshake.isOpen()) {
            handshake.client().close();
            return 0;
        }
        return handshake.status();
    }

    private String workerLog() {
        try {
            return Files.readString(stack.worker().logFile(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int occurrences(String text, String wanted) {
        int count = 0;
        for (int at = text.indexOf(wanted); at >= 0; at = text.indexOf(wanted, at + 1)) {
            count++;
        }
        return count;
    }

    private static JsonNode claims(String jwt) {
        return json(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + text, e);
        }
    }
}
