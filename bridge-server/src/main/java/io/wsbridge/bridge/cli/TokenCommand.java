package io.wsbridge.bridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The refresh source of {@code --token-command}: a shell command ({@code sh -c}) that prints a fresh access token,
 * or an OAuth token response (a JSON object with {@code access_token}, as {@code curl} gets it from a token
 * endpoint). Its standard error goes to ours, so it may prompt; its standard input is empty.
 */
final class TokenCommand {

    static final Duration TIMEOUT = Duration.ofMinutes(2);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String command;
    private final Duration timeout;

    TokenCommand(String command, Duration timeout) {
        this.command = command;
        this.timeout = timeout;
    }

    /** Runs the command once and returns the token it printed. */
    AccessToken fetch() throws TokenCommandException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder("/bin/sh", "-c", command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            throw new TokenCommandException("cannot run the token command: " + e.getMessage(), e);
        }
        CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        byte[] printed;
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TokenCommandException("the token command did not finish within " + timeout.toSeconds()
                        + " s");
            }
            printed = output.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new TokenCommandException("cannot read what the token command printed", e);
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        if (process.exitValue() != 0) {
            throw new TokenCommandException("the token command failed with exit status " + process.exitValue());
        }
        return AccessToken.of(token(new String(printed, StandardCharsets.UTF_8).strip()));
    }

    private static String token(String printed) throws TokenCommandException {
        if (printed.startsWith("{")) {
            try {
                JsonNode token = JSON.readTree(printed).path("access_token");
                if (token.isTextual() && !token.asText().isBlank()) {
                    return token.asText();
                }
            } catch (IOException e) {
                // refused below
            }
            throw new TokenCommandException("the token command printed a JSON object without access_token");
        }
        if (printed.isEmpty() || printed.chars().anyMatch(Character::isWhitespace)) {
            throw new TokenCommandException("the token command must print the token and nothing else,"
                    + " or a JSON object with access_token");
        }
        return printed;
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
