package io.wsbridge.connect.replay;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connector's transformations (its {@code transforms} and {@code predicates} settings, as Connect reads them),
 * applied to the records a replay reads, so that a replayed event is the one the task was given: a record a
 * transformation drops (a {@code Filter}, say) is dropped again, one it changes is changed alike.
 *
 * <p>Each chain is used by one replay at a time (transformations need not be thread-safe): {@link Factory#create}
 * makes one per reading. Classes load as the connector's own do, through the worker's plugin class loaders.
 */
final class Transforms implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Transforms.class);

    /** One transformation, applied if its predicate (if any) says so, or says not so with {@code negate}. */
    private record Stage(String alias, Transformation<SinkRecord> transformation, Predicate<SinkRecord> predicate,
            boolean negate) {
    }

    private final List<Stage> stages;
    private final List<AutoCloseable> closeables;

    private Transforms(List<Stage> stages, List<AutoCloseable> closeables) {
        this.stages = stages;
        this.closeables = closeables;
    }

    /** No transformation: records pass unchanged. */
    static Transforms none() {
        return new Transforms(List.of(), List.of());
    }

    /**
     * Applies the chain.
     *
     * @return the record as the task would have got it, or {@code null} if a transformation dropped it
     * @throws RuntimeException what a transformation threw (the task's error handling would have taken the record)
     */
    SinkRecord apply(SinkRecord record) {
        SinkRecord current = record;
        for (Stage stage : stages) {
            if (stage.predicate() == null || stage.predicate().test(current) != stage.negate()) {
                current = stage.transformation().apply(current);
                if (current == null) {
                    return null;
                }
            }
        }
        return current;
    }

    boolean isEmpty() {
        return stages.isEmpty();
    }

    @Override
    public void close() {
        for (AutoCloseable closeable : closeables) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.debug("Closing a transformation of a replay failed", e);
            }
        }
    }

    /** Makes the chain of a connector configuration, once per replay. */
    static final class Factory {

        private final Map<String, String> config;
        private final List<String> aliases;

        /**
         * Reads the configuration and makes one chain at once, so that a transformation this worker cannot load or
         * configure is reported when the history is set up, not when a subscriber replays.
         *
         * @throws ConfigException saying which transformation or predicate and why
         */
        Factory(Map<String, String> config) {
            this.config = Map.copyOf(config);
            this.aliases = list(config.get("transforms"));
            create().close();
        }

        static Factory none() {
            return new Factory(Map.of());
        }

        boolean isEmpty() {
            return aliases.isEmpty();
        }

        /** A new chain. */
        Transforms create() {
            List<Stage> stages = new ArrayList<>();
            List<AutoCloseable> closeables = new ArrayList<>();
            Map<String, Predicate<SinkRecord>> predicates = new HashMap<>();
            try {
                for (String alias : aliases) {
                    String prefix = "transforms." + alias + ".";
                    Transformation<SinkRecord> transformation = instance(prefix + "type", Transformation.class,
                            "transformation '" + alias + "'");
                    closeables.add(transformation);
                    transformation.configure(subset(prefix, "type", "predicate", "negate"));
                    String predicateName = config.get(prefix + "predicate");
                    Predicate<SinkRecord> predicate = null;
                    if (predicateName != null && !predicateName.isBlank()) {
                        predicate = predicates.get(predicateName.trim());
                        if (predicate == null) {
                            String predicatePrefix = "predicates." + predicateName.trim() + ".";
                            predicate = instance(predicatePrefix + "type", Predicate.class,
                                    "predicate '" + predicateName.trim() + "'");
                            closeables.add(predicate);
                            predicate.configure(subset(predicatePrefix, "type"));
                            predicates.put(predicateName.trim(), predicate);
                        }
                    }
                    stages.add(new Stage(alias, transformation, predicate,
                            Boolean.parseBoolean(config.getOrDefault(prefix + "negate", "false").trim())));
                }
            } catch (RuntimeException e) {
                new Transforms(List.of(), closeables).close();
                throw e instanceof ConfigException ? e : new ConfigException("the connector's transformations cannot "
                        + "be set up for replays: " + e);
            }
            return new Transforms(List.copyOf(stages), closeables);
        }

        @SuppressWarnings("unchecked")
        private <T> T instance(String key, Class<?> kind, String what) {
            String type = config.get(key);
            if (type == null || type.isBlank()) {
                throw new ConfigException(key, type, what + " has no type");
            }
            try {
                Class<?> loaded = Class.forName(type.trim(), true, Transforms.class.getClassLoader());
                if (!kind.isAssignableFrom(loaded)) {
                    throw new ConfigException(key, type, what + " is not a " + kind.getSimpleName());
                }
                return (T) loaded.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new ConfigException(key, type, what + " cannot be loaded on this worker for replays: " + e);
            }
        }

        /** The settings under {@code prefix}, without it and without {@code reserved}. */
        private Map<String, String> subset(String prefix, String... reserved) {
            Map<String, String> subset = new HashMap<>();
            config.forEach((key, value) -> {
                if (key.startsWith(prefix)) {
                    subset.put(key.substring(prefix.length()), value);
                }
            });
            for (String name : reserved) {
                subset.remove(name);
            }
            return subset;
        }

        private static List<String> list(String value) {
            List<String> items = new ArrayList<>();
            if (value != null) {
                for (String item : value.split(",")) {
                    if (!item.isBlank()) {
                        items.add(item.trim());
                    }
                }
            }
            return List.copyOf(items);
        }
    }
}
