package io.wsbridge.bridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamSettingsTest {

    static StreamSettings parse(Map<String, String> env, String... args) throws UsageException {
        return StreamSettings.of(CommandLine.parse(args), env);
    }

    @Test
    void theUrlPercentEncodesTheApplicationChannelAndGroup() throws UsageException {
        StreamSettings settings = parse(Map.of(), "stream", "my app", "--channel", "dev/1+x", "--group-id", "a&b c");

        assertThat(settings.uri()).isEqualTo(URI.create("ws://localhost:8085/my%20app/dev%2F1%2Bx?group_id=a%26b%20c"));
        assertThat(settings.credentials()).isEqualTo(new StreamSettings.Credentials.Anonymous());
        assertThat(settings.count()).isZero();
    }

    @Test
    void theFilterIsPercentEncodedAfterTheGroup() throws UsageException {
        assertThat(parse(Map.of(), "stream", "app", "--group-id", "g", "--filter", "device = 'a&b' AND count > 1")
                .uri()).isEqualTo(URI.create(
                        "ws://localhost:8085/app?group_id=g&filter=device%20%3D%20%27a%26b%27%20AND%20count%20%3E%201"));
        assertThat(parse(Map.of(), "stream", "app", "--filter", "subject = 'alarm'").uri())
                .isEqualTo(URI.create("ws://localhost:8085/app?filter=subject%20%3D%20%27alarm%27"));
    }

    @Test
    void fromComesLastPercentEncoded() throws UsageException {
        assertThat(parse(Map.of(), "stream", "app", "--filter", "a = 'b'", "--from", "2026-12-02T16:04:05+01:00")
                .uri()).isEqualTo(URI.create(
                        "ws://localhost:8085/app?filter=a%20%3D%20%27b%27&from=2026-12-02T16%3A04%3A05%2B01%3A00"));
        StreamSettings settings = parse(Map.of(), "stream", "app", "--from", "earliest");
        assertThat(settings.uri()).isEqualTo(URI.create("ws://localhost:8085/app?from=earliest"));
        assertThat(settings.uri("AUya_-x")).isEqualTo(URI.create("ws://localhost:8085/app?from=AUya_-x"));
        assertThat(settings.uri(null)).isEqualTo(URI.create("ws://localhost:8085/app"));
    }

    @Test
    void aBlankFilterIsAUsageError() {
        assertThatThrownBy(() -> parse(Map.of(), "stream", "app", "--filter", " "))
                .isInstanceOf(UsageException.class)
                .hasMessage("option --filter needs a value");
    }

    @Test
    void theBaseUrlKeepsItsPathAndMayBeHttp() throws UsageException {
        assertThat(parse(Map.of(), "stream", "app", "--url", "https://bridge.example/ws/", "-n5").uri())
                .isEqualTo(URI.create("wss://bridge.example/ws/app"));
        assertThat(parse(Map.of("WSBRIDGE_URL", "ws://10.0.0.1:9085"), "stream", "app").uri())
                .isEqualTo(URI.create("ws://10.0.0.1:9085/app"));
        assertThat(parse(Map.of("WSBRIDGE_URL", "ws://10.0.0.1:9085"), "stream", "app", "--url", "ws://h").uri())
                .isEqualTo(URI.create("ws://h/app"));
    }

    @Test
    void credentialOptionsOverrideTheEnvironmentButAUsernameMayTakeItsKeyFromIt() throws UsageException {
        Map<String, String> env = Map.of("WSBRIDGE_TOKEN", "env-token", "WSBRIDGE_API_KEY", "env-key");

        assertThat(parse(env, "stream", "app", "--username", "alice").credentials())
                .isEqualTo(new StreamSettings.Credentials.ApiKey("alice", "env-key"));
        assertThat(parse(Map.of("WSBRIDGE_TOKEN", "env-token"), "stream", "app").credentials())
                .isEqualTo(new StreamSettings.Credentials.Token("env-token"));
        assertThat(parse(env, "stream", "app", "--token-command", "get-token").credentials())
                .isEqualTo(new StreamSettings.Credentials.TokenCommand("get-token"));
    }

    @Test
    void basicCredentialsAreBase64OfUsernameColonKeyAndNeverShown() throws UsageException {
        StreamSettings settings = parse(Map.of(), "stream", "app", "--username", "alice", "--api-key", "k3y");

        assertThat(settings.credentials().authorization(null)).isEqualTo("Basic "
                + Base64.getEncoder().encodeToString("alice:k3y".getBytes()));
        assertThat(settings.toString()).doesNotContain("k3y");
        assertThat(parse(Map.of(), "stream", "app", "--token", "t0k").toString()).doesNotContain("t0k");
    }

    @Test
    void theExpiryOfAJwtIsReadWithoutVerifyingIt() {
        String payload = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"exp\":1800000000}".getBytes());

        assertThat(AccessToken.of("h." + payload + ".s").expiresAt()).isEqualTo(Instant.ofEpochSecond(1_800_000_000L));
        assertThat(AccessToken.of("h." + payload + ".s").toString()).doesNotContain(payload);
        assertThat(AccessToken.expiry("opaque-token")).isNull();
        assertThat(AccessToken.expiry("a.!!!.c")).isNull();
    }

    @Test
    void refusalReasonsComeFromTheJsonOrHtmlErrorBody() {
        assertThat(StreamClient.reason("{\"message\":\"bad API key\",\"status\":\"401\"}")).isEqualTo("bad API key");
        assertThat(StreamClient.reason("<html><head><title>Error 404 no such application</title></head></html>"))
                .isEqualTo("no such application");
        assertThat(StreamClient.reason("")).isNull();
        assertThat(StreamClient.reason(null)).isNull();
    }
}
