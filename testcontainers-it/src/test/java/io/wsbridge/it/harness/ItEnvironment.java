package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    /**
     * The Keycloak server distribution ({@code keycloak-quarkus-dist}) as Maven unpacked it: property it.keycloak.dist,
     * else the one {@code keycloak-*} folder in it.keycloak.unpacked (default target/keycloak).
     */
    public static Path keycloakDistribution() {
        Path dist;
        if (System.getProperty("it.keycloak.dist") != null) {
            dist = path("it.keycloak.dist", "");
        } else {
            Path unpacked = path("it.keycloak.unpacked", "target/keycloak");
            try (var entries = Files.list(unpacked)) {
                List<Path> found = entries.filter(p -> p.getFileName().toString().startsWith("keycloak-")).toList();
                if (found.size() != 1) {
                    throw new IllegalStateException("expected one keycloak-<version> folder in " + unpacked + ", found "
                            + found);
                }
                dist = found.get(0);
            } catch (IOException e) {
                throw new IllegalStateException("no Keycloak distribution in " + unpacked + "; unpack it with: mvn -B"
                        + " -pl testcontainers-it pre-integration-test", e);
            }
        }
        if (!Files.isRegularFile(dist.resolve("bin/kc.sh"))) {
            throw new IllegalStateException("no Keycloak distribution in " + dist + " (property it.keycloak.dist);"
                    + " unpack it with: mvn -B -pl testcontainers-it pre-integration-test");
        }
        return dist;
    }

    /** The version of {@link #keycloakDistribution()}: property it.keycloak.version, else its folder's name. */
    public static String keycloakVersion() {
        String version = System.getProperty("it.keycloak.version");
        return version != null ? version : keycloakDistribution().getFileName().toString().substring("keycloak-".length());
    }

    /**
     * Where the built Keycloak distribution and its saved data are kept between runs: outside target/, so that
     * {@code mvn clean} does not cost the next run a minute (property it.keycloak.cache).
     */
    public static Path keycloakCacheDir() {
        String fallback = Path.of(System.getProperty("user.home"), ".cache", "wsbridge-it").toString();
        return path("it.keycloak.cache", fallback).resolve("keycloak-" + keycloakVersion());
    }

    /** The {@code wsbridge} command-line tool, {@code bridge-server/target/wsbridge.jar} (property it.wsbridge.cli). */
    public static Path wsbridgeCli() {
        Path jar = path("it.wsbridge.cli", "../bridge-server/target/wsbridge.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no wsbridge CLI at " + jar + " (property it.wsbridge.cli);"
                    + " build it with: mvn -B -pl bridge-server package -DskipTests");
        }
        return jar;
    }

    private static Path path(String property, String fallback) {
        return Path.of(System.getProperty(property, fallback)).toAbsolutePath().normalize();
    }
}
