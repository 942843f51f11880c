package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Command lines for JVMs that run a Kafka main class on Kafka's own jars only (as
 * {@code kafka-run-class.sh} would), logging with log4j2 to stdout, which {@link ManagedProcess}
 * appends to a file.
 */
final class KafkaJvm {

    private static final String LOG4J2 = String.join("\n",
            "status = warn",
            "appender.out.type = Console",
            "appender.out.name = STDOUT",
            "appender.out.layout.type = PatternLayout",
            "appender.out.layout.pattern = [%d] %p [%t] %m (%c)%n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.out.ref = STDOUT",
            "# every client and connector prints its whole configuration: the files are next to the log",
            "logger.config.name = org.apache.kafka.common.config.AbstractConfig",
            "logger.config.level = WARN",
            "logger.wsbridge.name = io.wsbridge",
            "logger.wsbridge.level = DEBUG",
            "");

    private KafkaJvm() {
    }

    /**
     * The command for {@code mainClass}; writes the log4j2 configuration into {@code workDir}.
     *
     * @param heap for example "512m"
     */
    static List<String> command(Path workDir, String heap, String mainClass, String... args) {
        return command(workDir, heap, List.of(), mainClass, args);
    }

    /** As above, with more JVM options (system properties such as remote JMX) before the main class. */
    static List<String> command(Path workDir, String heap, List<String> jvmOptions, String mainClass, String... args) {
        Path log4j = workDir.resolve("log4j2.properties");
        try {
            Files.writeString(log4j, LOG4J2);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // Options given for heap or collector replace the defaults (a JVM refuses two collectors).
        if (jvmOptions.stream().noneMatch(option -> option.startsWith("-Xms") || option.startsWith("-Xmx"))) {
            command.addAll(List.of("-Xms64m", "-Xmx" + heap));
        }
        if (jvmOptions.stream().noneMatch(option -> option.matches("-XX:\\+Use\\w+GC"))) {
            command.add("-XX:+UseSerialGC"); // two cores, small heaps: least overhead
        }
        command.addAll(List.of(
                "-Djava.awt.headless=true",
                "-Djava.io.tmpdir=" + workDir,
                "-Dlog4j2.configurationFile=" + log4j.toUri(),
                "-cp", ItEnvironment.kafkaLibs() + "/*"));
        command.addAll(jvmOptions);
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    /** Writes a properties file sorted by key, so that a human can read it next to the log. */
    static Path writeProperties(Path file, Map<String, String> properties) {
        StringBuilder text = new StringBuilder("# written by the integration-test harness\n");
        new TreeMap<>(properties).forEach((key, value) -> text.append(key).append('=').append(escape(value)).append('\n'));
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\n", "\\n");
    }
}
