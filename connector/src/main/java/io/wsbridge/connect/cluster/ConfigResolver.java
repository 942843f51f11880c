package io.wsbridge.connect.cluster;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves {@code ${provider:path:key}} references in connector configurations, with the config providers of the
 * worker ({@code config.providers}). Connect resolves them for tasks, but hands a REST extension the raw
 * configuration; without this the extension would build other bridge settings than the tasks (a secret that is
 * still a reference) and the two would keep reconfiguring the shared bridge.
 *
 * <p>Providers are built from this plugin's class loader, so Kafka's own ({@code FileConfigProvider},
 * {@code DirectoryConfigProvider}, {@code EnvVarConfigProvider}) work; a provider from another plugin cannot be
 * loaded, is logged once, and its references stay unresolved.
 */
final class ConfigResolver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigResolver.class);
    private static final String PROVIDERS = "config.providers";
    private static final Pattern PROVIDER_CLASS = Pattern.compile("config\\.providers\\.([^.]+)\\.class");

    private final Map<String, ConfigProvider> providers;
    private final ConfigTransformer transformer;

    ConfigResolver(Map<String, ConfigProvider> providers) {
        this.providers = Map.copyOf(providers);
        this.transformer = new ConfigTransformer(this.providers);
    }

    static ConfigResolver fromWorkerProperties(Map<String, ?> workerProperties) {
        // The worker hands extensions its properties without config.providers itself (it keeps that key for its own
        // transformer), so the providers are the names of the config.providers.<name>.class keys.
        Set<String> names = new TreeSet<>();
        Object listed = workerProperties.get(PROVIDERS);
        if (listed != null) {
            for (String name : listed.toString().split(",")) {
                if (!name.isBlank()) {
                    names.add(name.trim());
                }
            }
        }
        for (String key : workerProperties.keySet()) {
            Matcher provider = PROVIDER_CLASS.matcher(key);
            if (provider.matches()) {
                names.add(provider.group(1));
            }
        }
        Map<String, ConfigProvider> providers = new HashMap<>();
        for (String name : names) {
            ConfigProvider built = build(name, workerProperties);
            if (built != null) {
                providers.put(name, built);
            }
        }
        if (!providers.isEmpty()) {
            log.info("wsbridge cluster mode resolves config provider references with {}", providers.keySet());
        }
        return new ConfigResolver(providers);
    }

    private static ConfigProvider build(String name, Map<String, ?> workerProperties) {
        String prefix = PROVIDERS + "." + name + ".";
        Object className = workerProperties.get(prefix + "class");
        if (className == null) {
            log.warn("Config provider '{}' has no {}class; its references in wsbridge connectors stay unresolved",
                    name, prefix);
            return null;
        }
        Map<String, Object> params = new HashMap<>();
        String paramPrefix = prefix + "param.";
        workerProperties.forEach((key, value) -> {
            if (key.startsWith(paramPrefix)) {
                params.put(key.substring(paramPrefix.length()), value);
            }
        });
        try {
            Class<?> type = Class.forName(className.toString().trim(), true, ConfigResolver.class.getClassLoader());
            ConfigProvider provider = (ConfigProvider) type.getDeclaredConstructor().newInstance();
            provider.configure(params);
            return provider;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            log.warn("Cannot build config provider '{}' ({}) for the wsbridge REST extension: {}; its references in "
                    + "wsbridge connectors stay unresolved", name, className, e.toString());
            return null;
        }
    }

    /** The configuration with every resolvable reference replaced by its value. */
    Map<String, String> resolve(Map<String, String> raw) {
        if (providers.isEmpty()) {
            return raw;
        }
        return transformer.transform(raw).data();
    }

    @Override
    public void close() {
        for (ConfigProvider provider : providers.values()) {
            try {
                provider.close();
            } catch (Exception e) {
                log.debug("Closing a config provider failed", e);
            }
        }
    }
}
