package io.wsbridge.it.harness;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code wsbridge} command-line tool as a user runs it: {@code java -jar bridge-server/target/wsbridge.jar keys
 * ...} in its own process, against a Keycloak as the service account of its own client, standard output and error kept
 * apart.
 *
 * <pre>{@code
 * WsbridgeCli cli = new WsbridgeCli(keycloak.url(), "wsbridge", "wsbridge-cli", secret);
 * String key = cli.createKey("alice");          // standard output: the key, and only the key
 * cli.revokeKey("alice", WsbridgeCli.keyId(key));
 * }</pre>
 */
public final class WsbridgeCli {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private final String keycloakUrl;
    private final String realm;
    private final String clientId;
    private final String clientSecret;

    public WsbridgeCli(String keycloakUrl, String realm, String clientId, String clientSecret) {
        this.keycloakUrl = keycloakUrl;
        this.realm = realm;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
    }

    /** The development realm's client of the {@code wsbridge keys} command on {@code keycloak}. */
    public static WsbridgeCli of(KeycloakServer keycloak) {
        return new WsbridgeCli(keycloak.url(), KeycloakServer.REALM, KeycloakServer.CLI_CLIENT,
                KeycloakServer.CLI_CLIENT_SECRET);
    }

    /** The same command as the bridge's service account, which may not write users. */
    public static WsbridgeCli asBridge(KeycloakServer keycloak) {
        return new WsbridgeCli(keycloak.url(), KeycloakServer.REALM, KeycloakServer.BRIDGE_CLIENT,
                KeycloakServer.BRIDGE_CLIENT_SECRET);
    }

    /** What one run printed, and its exit status. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** {@code wsbridge keys create --user NAME}: the new key (standard output, which must hold one line only). */
    public String createKey(String user) {
        Result result = requireSuccess(run("keys", "create", "--user", user));
        List<String> lines = result.stdout().lines().toList();
        if (lines.size() != 1 || lines.get(0).isBlank()) {
            throw new AssertionError("keys create printed " + lines.size() + " lines on standard output, expected the"
                    + " key alone; standard error: " + result.stderr());
        }
        return lines.get(0).trim();
    }

    /** {@code wsbridge keys revoke --user NAME KEY_ID}. */
    public Result revokeKey(String user, String keyId) {
        return requireSuccess(run("keys", "revoke", "--user", user, keyId));
    }

    /** {@code wsbridge keys list --user NAME}: the table on standard output. */
    public Result listKeys(String user) {
        return requireSuccess(run("keys", "list", "--user", user));
    }

    /** The key id of a key {@code wsb_<key id>_<secret>}: letters and digits only, so the first {@code _} ends it. */
    public static String keyId(String key) {
        String rest = key.substring(key.indexOf('_') + 1);
        return rest.substring(0, rest.indexOf('_'));
    }

    /** Runs {@code wsbridge <args> --keycloak-url .. --realm .. --client-id .. --client-secret ..}. */
    public Result run(String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", ItEnvironment.wsbridgeCli().toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--keycloak-url", keycloakUrl, "--realm", realm, "--client-id", clientId,
                "--client-secret", clientSecret));
        try {
            Path dir = ItEnvironment.newWorkDir("wsbridge-cli");
            Path out = dir.resolve("stdout");
            Path err = dir.resolve("stderr");
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("wsbridge " + String.join(" ", args) + " did not end within " + TIMEOUT);
            }
            Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out); // it may hold a key: nothing of it stays on disk
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run the wsbridge CLI", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Result requireSuccess(Result result) {
        if (result.exitCode() != 0) {
            throw new AssertionError("wsbridge exited with " + result.exitCode() + ": " + result.stderr());
        }
        return result;
    }
}
