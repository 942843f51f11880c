package io.wsbridge.bridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.auth.IdentityProvider;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.ws.ClientSubscriber;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wsbridge stream} run in-process against a real bridge with a fake identity provider. */
class StreamCommandTest {

    static final Duration WAIT = Duration.ofSeconds(15);
    static final String GOOD_KEY = "wsb_good_key_0123456789";
    static final String WRONG_KEY = "wsb_wrong_key_9876543210";
    static final String NL = System.lineSeparator();

    /**
     * "pub" is public; "acme" needs alice's API key or a token. Tokens are unsigned JWTs whose {@code exp} the policy
     * enforces; every token it sees is recorded.
     */
    static final class FakePolicy implements AccessPolicy {
        final List<String> tokens = new CopyOnWriteArrayList<>();

        @Override
        public AccessDecision check(Credentials credentials, String application) {
            if (credentials instanceof Credentials.ApiKey key) {
                if (!key.username().equals("alice") || !key.key().equals(GOOD_KEY)) {
                    return AccessDecision.unauthorized("bad API key");
                }
                return readable(application) ? AccessDecision.allow(new Identity("id-alice", "alice", null))
                        : AccessDecision.notFound();
            }
            if (credentials instanceof Credentials.Bearer bearer) {
                tokens.add(bearer.token());
                Instant expiresAt = AccessToken.expiry(bearer.token());
                if (expiresAt == null || !expiresAt.isAfter(Instant.now())) {
                    return AccessDecision.unauthorized("token expired");
                }
                return readable(application) ? AccessDecision.allow(new Identity("id-alice", "alice", expiresAt))
                        : AccessDecision.notFound();
            }
            return application.equals("pub") ? AccessDecision.allow(new Identity("anonymous", "anonymous", null))
                    : AccessDecision.notFound();
        }

        private static boolean readable(String application) {
            return application.equals("pub") || application.equals("acme");
        }

        @Override
        public String describe() {
            return "fake identity provider";
        }
    }

    record FakeProvider(FakePolicy policy) implements IdentityProvider {
        @Override
        public AccessPolicy accessPolicy(Set<String> staticPublicApplications) {
            return policy;
        }
    }

    final FakePolicy policy = new FakePolicy();
    final Map<String, String> env = new HashMap<>();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final List<String> secrets = new ArrayList<>(List.of(GOOD_KEY, WRONG_KEY));
    final ExecutorService commands = Executors.newCachedThreadPool();
    boolean terminal;
    Bridge bridge;

    @BeforeEach
    void startBridge() {
        bridge = startBridge(0);
    }

    @AfterEach
    void stop() throws InterruptedException {
        commands.shutdownNow();
        assertThat(commands.awaitTermination(10, TimeUnit.SECONDS)).as("stream command stopped").isTrue();
        bridge.close();
        for (String secret : secrets) {
            assertThat(out() + err()).as("output").doesNotContain(secret);
        }
    }

    Bridge startBridge(int port) {
        return Bridge.start(BridgeSettings.builder("127.0.0.1", port).identity(new FakeProvider(policy)).build());
    }

    Future<Integer> start(String... args) {
        List<String> line = new ArrayList<>(List.of(args));
        line.addAll(List.of("--url", "ws://127.0.0.1:" + bridge.port()));
        Main main = new Main(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), terminal, admin -> {
                    throw new AssertionError("stream must not manage keys");
                });
        return commands.submit(() -> main.run(line.toArray(String[]::new)));
    }

    int run(String... args) throws Exception {
        return start(args).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    String connected(String path) {
        return "wsbridge: connected to ws://127.0.0.1:" + bridge.port() + path + NL;
    }

    void awaitSubscriber(String application) {
        await().atMost(WAIT).until(() -> bridge.router().subscribers(application) == 1);
    }

    /** An unsigned JWT: the bridge verifies tokens, the client only reads {@code exp}. */
    static String jwt(String subject, Instant expiresAt) {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        return base64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + base64.encodeToString(("{\"sub\":\"" + subject + "\",\"exp\":" + expiresAt.getEpochSecond() + "}")
                        .getBytes(StandardCharsets.UTF_8)) + ".unsigned";
    }

    @Test
    void printsCountEventsOneCompactLineEachExactlyAsReceivedAndExitsWithZero() throws Exception {
        Future<Integer> stream = start("stream", "pub", "-n", "5");
        awaitSubscriber("pub");
        List<String> events = List.of("{\"id\":\"1\"}", "{ \"id\" : \"2\",  \"data\" : {\"temp\":21.50} }",
                "{\"id\":\"3\",\"data\":\"caf\\u00e9 \u00fcber\"}", "[1, 2.0e3, true, null]", "{\"id\":\"5\"}",
                "{\"id\":\"6\"}", "{\"id\":\"7\"}");
        events.forEach(json -> bridge.publish(new Event("pub", null, json)));

        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo(String.join(NL, events.subList(0, 5)) + NL);
        assertThat(err()).isEqualTo(connected("/pub"));
        await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 0);
    }

    @Test
    void aBadApiKeyExitsWithThreeAndAOneLineReason() throws Exception {
        assertThat(run("stream", "acme", "--username", "alice", "--api-key", WRONG_KEY)).isEqualTo(3);

        assertThat(err()).isEqualTo("wsbridge: unauthorized: bad API key" + NL);
        assertThat(out()).isEmpty();
    }

    @Test
    void anApiKeyFromTheEnvironmentIsSentAsBasicCredentials() throws Exception {
        env.put("WSBRIDGE_USERNAME", "alice");
        env.put("WSBRIDGE_API_KEY", GOOD_KEY);
        Future<Integer> stream = start("stream", "acme", "--count", "1");
        awaitSubscriber("acme");
        assertThat(bridge.server().subscribers()).extracting(ClientSubscriber::principal).containsExactly("alice");
        bridge.publish(new Event("acme", null, "{\"private\":true}"));

        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("{\"private\":true}" + NL);
    }

    @Test
    void anUnknownApplicationExitsWithFour() throws Exception {
        assertThat(run("stream", "nope", "--username", "alice", "--api-key", GOOD_KEY)).isEqualTo(4);

        assertThat(err()).isEqualTo("wsbridge: no such application, or not allowed to read it: 'nope'" + NL);
        assertThat(out()).isEmpty();
    }

    @Test
    void aPrivateApplicationReadAnonymouslyExitsWithFourAndSaysHowToLogIn() throws Exception {
        assertThat(run("stream", "acme")).isEqualTo(4);

        assertThat(err()).isEqualTo("wsbridge: no such application, or not allowed to read it: 'acme' (connected"
                + " anonymously: give --token, --token-command or --username with --api-key)" + NL);
    }

    @Test
    void theChannelAndTheGroupIdAreSent() throws Exception {
        Future<Integer> stream = start("stream", "pub", "--channel", "dev/1", "--group-id", "team a", "-n", "1");
        awaitSubscriber("pub");
        ClientSubscriber subscriber = bridge.server().subscribers().iterator().next();
        assertThat(subscriber.channel()).isEqualTo("dev/1");
        assertThat(subscriber.groupId()).isEqualTo("team a");
        assertThat(bridge.router().groups("pub")).isEqualTo(1);

        bridge.publish(new Event("pub", "dev/2", "{\"device\":\"2\"}"));
        bridge.publish(new Event("pub", "dev/1", "{\"device\":\"1\"}"));

        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("{\"device\":\"1\"}" + NL);
        assertThat(err()).isEqualTo(connected("/pub/dev%2F1?group_id=team%20a"));
    }

    @Test
    void theFilterIsSentAndOnlyMatchingEventsArePrinted() throws Exception {
        Future<Integer> stream = start("stream", "pub", "--filter", "device = '1' AND subject = 'alarm'", "-n", "1");
        awaitSubscriber("pub");
        assertThat(bridge.server().subscribers().iterator().next().filterExpression())
                .isEqualTo("device = '1' AND subject = 'alarm'");

        bridge.publish(new Event("pub", "alarm", "{\"subject\":\"alarm\",\"device\":\"2\"}"));
        bridge.publish(new Event("pub", "info", "{\"subject\":\"info\",\"device\":\"1\"}"));
        bridge.publish(new Event("pub", "alarm", "{\"subject\":\"alarm\",\"device\":\"1\"}"));

        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("{\"subject\":\"alarm\",\"device\":\"1\"}" + NL);
        assertThat(bridge.router().filters().evaluations()).isEqualTo(3);
    }

    @Test
    void aFilterThatIsNotCloudEventsSqlExitsWithTwoAndThePositionOfTheError() throws Exception {
        assertThat(run("stream", "pub", "--filter", "device = ")).isEqualTo(2);

        assertThat(err()).startsWith("wsbridge: bad request: the filter is not valid CloudEvents SQL at character 10: "
                + "Cannot parse: mismatched input '<EOF>' expecting");
        assertThat(bridge.router().filters().distinct()).isZero();
    }

    @Test
    void aBadRequestExitsWithTwo() throws Exception {
        assertThat(run("stream", "pub", "--group-id", "g".repeat(300))).isEqualTo(2);

        assertThat(err()).isEqualTo("wsbridge: bad request: group_id must be 1 to 255 printable characters" + NL);
    }

    @Test
    void reconnectsWhenTheBridgeRestartsAndKeepsCounting() throws Exception {
        Future<Integer> stream = start("stream", "pub", "-n", "3");
        awaitSubscriber("pub");
        bridge.publish(new Event("pub", null, "{\"n\":1}"));
        await().atMost(WAIT).until(() -> out().lines().count() == 1);

        int port = bridge.port();
        bridge.close();
        bridge = startBridge(port);
        awaitSubscriber("pub");
        bridge.publish(new Event("pub", null, "{\"n\":2}"));
        bridge.publish(new Event("pub", null, "{\"n\":3}"));
        bridge.publish(new Event("pub", null, "{\"n\":4}"));

        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo(String.join(NL, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", ""));
        assertThat(err()).startsWith(connected("/pub")
                        + "wsbridge: connection closed (1001 going away: server shutting down); reconnecting in ")
                .endsWith("wsbridge: reconnected to ws://127.0.0.1:" + port + "/pub" + NL);
    }

    @Test
    void aReconnectResumesAfterTheLastEventPrintedAndTheLastCursorIsPrintedOnExit() throws Exception {
        ListHistory history = new ListHistory();
        bridge.started("pub", ListHistory.PARTITION.topic(), 0, 0);
        bridge.history(history, 2);
        Future<Integer> stream = start("stream", "pub", "-n", "4");
        awaitSubscriber("pub");
        bridge.publish(history.append(0));
        bridge.publish(history.append(1));
        await().atMost(WAIT).until(() -> out().lines().count() == 2);

        int port = bridge.port();
        bridge.close();
        history.append(2); // in Kafka while the bridge was away: only a resume gets them
        history.append(3);
        bridge = startBridge(port);
        bridge.started("pub", ListHistory.PARTITION.topic(), 0, 4);
        bridge.history(history, 2);

        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out().lines().map(line -> line.replaceAll("^\\{\"wsbridgecursor\":\"[^\"]+\",", "{")))
                .containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        String lastCursor = StreamClient.cursorOf(out().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(err()).contains("wsbridge: reconnected to ws://127.0.0.1:" + port
                        + "/pub (resuming after the last event printed)" + NL)
                .endsWith("wsbridge: last cursor: " + lastCursor + " (continue after it with --from " + lastCursor
                        + ")" + NL);
    }

    @Test
    void fromIsSentAndABridgeThatCannotResumeIsSaidSoThenTheStreamGoesOnFromNow() throws Exception {
        bridge.started("pub", ListHistory.PARTITION.topic(), 0, 0);
        ListHistory history = new ListHistory();
        Future<Integer> stream = start("stream", "pub", "-n", "2");
        awaitSubscriber("pub");
        bridge.publish(history.append(0));
        await().atMost(WAIT).until(() -> out().lines().count() == 1);

        int port = bridge.port();
        bridge.close();
        bridge = startBridge(port); // no history: from answers 501
        bridge.started("pub", ListHistory.PARTITION.topic(), 0, 1);
        awaitSubscriber("pub");
        bridge.publish(history.append(1));

        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out().lines().count()).isEqualTo(2);
        assertThat(err()).contains("wsbridge: cannot resume here (501: ")
                .contains("); streaming from now on: events in between may be missing" + NL)
                .contains("wsbridge: reconnected to ws://127.0.0.1:" + port + "/pub" + NL);

        err.reset();
        assertThat(run("stream", "pub", "--from", "earliest")).isEqualTo(Main.FAILED);
        assertThat(err()).startsWith("wsbridge: the bridge cannot do this (501): resuming and replaying (from)")
                .doesNotContain("last cursor");
    }

    @Test
    void theTokenCommandsFreshTokenIsSentBeforeTheFirstOneExpires(@TempDir Path dir) throws Exception {
        Instant firstExpiry = Instant.now().plusSeconds(4);
        String first = jwt("alice", firstExpiry);
        String second = jwt("alice", Instant.now().plusSeconds(120));
        secrets.addAll(List.of(first, second));
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, first + "\n");

        Future<Integer> stream = start("stream", "acme", "--token-command", "cat '" + tokenFile + "'", "-n", "1");
        awaitSubscriber("acme");
        assertThat(policy.tokens).containsExactly(first);
        Files.writeString(tokenFile, second + "\n");

        await().atMost(WAIT).until(() -> policy.tokens.contains(second));
        assertThat(Instant.now()).isBefore(firstExpiry.plusSeconds(1));
        // Past the first token's expiry (the bridge would close with 1008): still connected.
        await().during(Duration.between(Instant.now(), firstExpiry.plusMillis(1500))).atMost(WAIT)
                .until(() -> bridge.router().subscribers("acme") == 1);
        bridge.publish(new Event("acme", null, "{\"after\":\"expiry\"}"));

        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("{\"after\":\"expiry\"}" + NL);
        assertThat(err()).startsWith(connected("/acme") + "wsbridge: sent a fresh access token; it expires at ");
    }

    @Test
    void aTokenCommandThatFailsExitsWithOne() throws Exception {
        assertThat(run("stream", "acme", "--token-command", "echo not-shown; exit 7")).isEqualTo(1);

        assertThat(err()).isEqualTo("wsbridge: the token command failed with exit status 7" + NL);
        assertThat(bridge.router().subscribers("acme")).isZero();
    }

    @Test
    void accessThatEndsWith1008ExitsWithFive() throws Exception {
        String token = jwt("alice", Instant.now().plusSeconds(2));
        secrets.add(token);
        env.put("WSBRIDGE_TOKEN", token);

        assertThat(run("stream", "acme")).isEqualTo(5);

        assertThat(err()).isEqualTo(connected("/acme") + "wsbridge: access ended: token expired" + NL);
    }

    @Test
    void anExpiredTokenExitsWithThree() throws Exception {
        String token = jwt("alice", Instant.now().minusSeconds(5));
        secrets.add(token);

        assertThat(run("stream", "acme", "--token", token)).isEqualTo(3);

        assertThat(err()).isEqualTo("wsbridge: unauthorized: token expired" + NL);
    }

    @Test
    void onATerminalEventsAreIndentedAndColouredUnlessNoColorIsSet() throws Exception {
        terminal = true;
        env.put("NO_COLOR", "1");
        Future<Integer> plain = start("stream", "pub", "-n", "1");
        awaitSubscriber("pub");
        bridge.publish(new Event("pub", null, "{\"id\":\"1\",\"data\":{\"temp\":21.50,\"ok\":true}}"));
        assertThat(plain.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo(String.join("\n", "{", "  \"id\": \"1\",", "  \"data\": {",
                "    \"temp\": 21.50,", "    \"ok\": true", "  }", "}") + NL);

        out.reset();
        env.remove("NO_COLOR");
        await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 0);
        Future<Integer> coloured = start("stream", "pub", "-n", "1");
        awaitSubscriber("pub");
        bridge.publish(new Event("pub", null, "{\"id\":\"2\"}"));
        assertThat(coloured.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("{\n  " + EventPrinter.KEY + "\"id\"" + EventPrinter.RESET + ": "
                + EventPrinter.STRING + "\"2\"" + EventPrinter.RESET + "\n}" + NL);
    }

    @Test
    void usageErrorsExitWithTwoAndNeverRepeatASecret() throws Exception {
        assertUsageError("wsbridge: missing application: usage: " + StreamSettings.USAGE + " (see wsbridge --help)",
                "stream");
        assertUsageError("wsbridge: too many arguments: usage: " + StreamSettings.USAGE + " (see wsbridge --help)",
                "stream", "pub", "acme");
        assertUsageError("wsbridge: give one of --token, --token-command, or --username with --api-key"
                + " (see wsbridge --help)", "stream", "acme", "--token", "t0ken-secret", "--username", "alice");
        assertUsageError("wsbridge: --username needs --api-key or WSBRIDGE_API_KEY (see wsbridge --help)",
                "stream", "acme", "--username", "alice");
        assertUsageError("wsbridge: --api-key needs --username (see wsbridge --help)",
                "stream", "acme", "--api-key", GOOD_KEY);
        assertUsageError("wsbridge: --count must be a whole number of events, 1 or more, got '0'"
                + " (see wsbridge --help)", "stream", "pub", "-n", "0");
        assertUsageError("wsbridge: --url must be a ws:// or wss:// URL with a host and no query, such as"
                + " ws://localhost:8085, got ftp://x (see wsbridge --help)", "stream", "pub", "--url=ftp://x");
        assertUsageError("wsbridge: option --user does not apply to 'stream' (see wsbridge --help)",
                "stream", "pub", "--user", "alice");
        env.put("WSBRIDGE_TOKEN", "t0ken-secret");
        env.put("WSBRIDGE_API_KEY", GOOD_KEY);
        assertUsageError("wsbridge: both WSBRIDGE_TOKEN and WSBRIDGE_USERNAME/WSBRIDGE_API_KEY are set: unset one,"
                + " or give credentials as options (see wsbridge --help)", "stream", "acme");
        secrets.add("t0ken-secret");
    }

    void assertUsageError(String message, String... args) throws Exception {
        out.reset();
        err.reset();
        Main main = new Main(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false, admin -> null);
        assertThat(main.run(args)).as(String.join(" ", args)).isEqualTo(2);
        assertThat(err()).as(String.join(" ", args)).isEqualTo(message + NL);
        assertThat(out()).isEmpty();
    }
}
