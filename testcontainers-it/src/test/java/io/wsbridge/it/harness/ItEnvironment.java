package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the integration tests find their inputs. Failsafe passes them as system properties (see
 * testcontainers-it/pom.xml); the defaults let an IDE run an IT from the module directory after one
 * {@code mvn verify}.
 */
public final class ItEnvironment {

    private ItEnvironment() {
    }

    /** Kafka's own jars (module kafka-runtime): the classpath of the broker and worker processes. */
    public static Path kafkaLibs() {
        Path libs = path("it.kafka.libs", "kafka-runtime/target/libs");
        try (var jars = Files.list(libs)) {
            if (jars.noneMatch(jar -> jar.getFileName().toString().startsWith("connect-runtime-"))) {
                throw new IllegalStateException("no connect-runtime jar in " + libs);
            }
        } catch (IOException | IllegalStateException e) {
            throw new IllegalStateException("Kafka's jars are missing in " + libs + " (property it.kafka.libs);"
                    + " build them with: mvn -B -pl testcontainers-it/kafka-runtime package", e);
        }
        return libs;
    }

    /** The worker's {@code plugin.path}: the packaged plugin archive, unpacked as an operator would. */
    public static Path pluginPath() {
        return path("it.plugin.path", "target/plugins");
    }

    /** The operator's files of the repository (connector JSON, worker properties, realm). */
    public static Path configDir() {
        return path("it.config.dir", "../config");
    }

    /** A file of {@link #configDir()}, if it exists. */
    public static Optional<Path> configFile(String name) {
        Path file = configDir().resolve(name);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /** A new, empty directory under target/it-work for one process or test (logs, data). */
    public static Path newWorkDir(String prefix) {
        try {
            Path root = Files.createDirectories(path("it.work.dir", "target/it-work"));
            return Files.createTempDirectory(root, prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path path(String property, String fallback) {
        return Path.of(System.getProperty(property, fallback)).toAbsolutePath().normalize();
    }
}
