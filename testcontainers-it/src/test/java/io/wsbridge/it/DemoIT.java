package io.wsbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.BridgeHttp;
import io.wsbridge.it.harness.ClientProcess;
import io.wsbridge.it.harness.FreePorts;
import io.wsbridge.it.harness.ItEnvironment;
import io.wsbridge.it.harness.KafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The demo that {@code ./demo.sh} runs after building: its main in a JVM of its own, as the script starts it. A real
 * client receives live temperature events within a minute of "ready", and Ctrl-C (SIGINT) leaves no process behind.
 */
class DemoIT {

    @Test
    void demoStreamsLiveEventsToARealClientAndCtrlCStopsEverything() throws Exception {
        Path work = ItEnvironment.newWorkDir("demo");
        int port = FreePorts.on(KafkaBroker.HOST);
        int opsPort = FreePorts.on(KafkaBroker.HOST);
        // A test command started in the background (nohup mvn ... &) hands SIGINT down ignored, and a JVM keeps an
        // ignored SIGINT ignored: restore its default, so Ctrl-C is tested as it reaches the demo from a terminal.
        List<String> command = new ArrayList<>(List.of("/usr/bin/env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dit.kafka.libs=" + ItEnvironment.kafkaLibs(),
                "-Dit.plugin.path=" + ItEnvironment.pluginPath(),
                "-Dit.config.dir=" + ItEnvironment.configDir(),
                "-Dit.work.dir=" + work,
                "-Ddemo.port=" + port,
                "-Ddemo.ops.port=" + opsPort,
                "-cp", System.getProperty("java.class.path"),
                "io.wsbridge.it.demo.Demo"));
        Path output = work.resolve("demo.out");
        Process demo = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> read(output).contains("wsbridge demo is ready") || !demo.isAlive());
            assertThat(demo.isAlive()).as("demo running; output:%n%s", read(output)).isTrue();
            assertThat(read(output)).contains("wscat -c ws://127.0.0.1:" + port + "/drogue-public-temperature")
                    .contains("curl http://127.0.0.1:" + opsPort + "/metrics");
            assertThat(new BridgeHttp(URI.create("http://127.0.0.1:" + opsPort)).metrics().find("wsbridge_connections"))
                    .as("the metrics where the demo says").isPresent();
            String console = "http://127.0.0.1:" + port + "/?application=drogue-public-temperature";
            assertThat(read(output).indexOf(console)).as("the console's address, first").isNotNegative()
                    .isLessThan(read(output).indexOf("wscat -c"));
            BridgeHttp.Response page = new BridgeHttp(URI.create("http://127.0.0.1:" + port))
                    .get("/?application=drogue-public-temperature");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body()).contains("<title>wsbridge console</title>");

            try (ClientProcess client = ClientProcess.start("python-demo", List.of("/usr/bin/python3", "-m",
                    "websockets", "ws://127.0.0.1:" + port + "/drogue-public-temperature"), work,
                    Duration.ofSeconds(90))) {
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                        .until(() -> client.stdout().contains("\"type\":\"io.drogue.event.v1\""));
                assertThat(client.stdout()).contains("\"application\":\"drogue-public-temperature\"")
                        .contains("\"temp\":");
            }

            new ProcessBuilder("kill", "-INT", String.valueOf(demo.pid())).start().waitFor();
            assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("demo exits after Ctrl-C").isTrue();
            assertThat(read(output)).contains("Stopped.");
            await().atMost(Duration.ofSeconds(30)).until(() -> processesUnder(work).isEmpty());
        } finally {
            if (demo.isAlive()) {
                demo.destroyForcibly();
            }
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    /** Processes whose command line mentions the demo's work directory (its broker and worker). */
    private static List<String> processesUnder(Path work) throws Exception {
        Process ps = new ProcessBuilder("ps", "-eo", "pid=,args=").start();
        String all = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ps.waitFor();
        return all.lines().filter(line -> line.contains(work.toString()) && !line.contains("ps -eo")).toList();
    }
}
