package io.wsbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.auth.IdentityProvider;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.cli.ListHistory;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example consumer in bridge-server/examples compiles, streams with an API key and resumes after a restart. */
class ExampleConsumerTest {

    record KeyOnly() implements IdentityProvider {
        @Override
        public AccessPolicy accessPolicy(Set<String> staticPublicApplications) {
            return new AccessPolicy() {
                @Override
                public AccessDecision check(Credentials credentials, String application) {
                    if (credentials instanceof Credentials.ApiKey key && key.username().equals("alice")
                            && key.key().equals("wsb_test_key") && application.equals("acme-private")) {
                        return AccessDecision.allow(new Identity("id-alice", "alice", null));
                    }
                    return credentials instanceof Credentials.ApiKey ? AccessDecision.unauthorized("bad key")
                            : AccessDecision.notFound();
                }

                @Override
                public String describe() {
                    return "test keys";
                }
            };
        }
    }

    private static void compile(Path classes) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int result = javac.run(null, null, null, "-d", classes.toString(),
                Path.of("examples", "StreamConsumer.java").toString());
        assertThat(result).as("javac exit code").isZero();
    }

    private static BridgeSettings settings(int port) {
        return BridgeSettings.builder("127.0.0.1", port).identity(new KeyOnly()).build();
    }

    @Test
    void afterABridgeRestartItResumesAfterTheLastEventItPrinted(@TempDir Path classes) throws Exception {
        compile(classes);
        ListHistory history = new ListHistory();
        String topic = ListHistory.PARTITION.topic();
        Bridge bridge = Bridge.start(settings(0));
        bridge.started("acme-private", topic, 0, 0);
        bridge.history(history, 1);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()})) {
            Method main = loader.loadClass("StreamConsumer").getMethod("main", String[].class);
            int port = bridge.port();
            CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
                try {
                    main.invoke(null, (Object) new String[] {"ws://127.0.0.1:" + port, "acme-private", "alice",
                        "wsb_test_key", "4"});
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            });
            Bridge first = bridge;
            await().atMost(Duration.ofSeconds(10)).until(() -> first.router().subscribers("acme-private") == 1);
            bridge.publish(history.append("acme-private", 0));
            bridge.publish(history.append("acme-private", 1));
            await().atMost(Duration.ofSeconds(10)).until(() -> printed.toString(StandardCharsets.UTF_8).lines()
                    .count() == 2);
            bridge.close();
            history.append("acme-private", 2); // written while no bridge ran: only a resume delivers them
            history.append("acme-private", 3);
            bridge = Bridge.start(settings(port));
            bridge.started("acme-private", topic, 0, 4);
            bridge.history(history, 1);
            run.get(20, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            System.setOut(original);
            bridge.close();
        }
        assertThat(printed.toString(StandardCharsets.UTF_8).lines()
                .map(line -> line.replaceAll("^\\{\"wsbridgecursor\":\"[^\"]+\",", "{")))
                .containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
    }

    @Test
    void exampleCompilesAndPrintsEventsReceivedWithAnApiKey(@TempDir Path classes) throws Exception {
        compile(classes);

        try (Bridge bridge = Bridge.start(settings(0));
                URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()})) {
            Method main = loader.loadClass("StreamConsumer").getMethod("main", String[].class);
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            PrintStream original = System.out;
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            try {
                CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
                    try {
                        main.invoke(null, (Object) new String[] {"ws://127.0.0.1:" + bridge.port(), "acme-private",
                            "alice", "wsb_test_key", "2"});
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> bridge.router().subscribers("acme-private") == 1);
                bridge.publish(new Event("acme-private", null, "{\"id\":\"1\"}"));
                bridge.publish(new Event("acme-private", null, "{\"id\":\"2\"}"));
                run.get(10, java.util.concurrent.TimeUnit.SECONDS);
            } finally {
                System.setOut(original);
            }
            assertThat(printed.toString(StandardCharsets.UTF_8).lines()).containsExactly("{\"id\":\"1\"}",
                    "{\"id\":\"2\"}");
        }
    }
}
