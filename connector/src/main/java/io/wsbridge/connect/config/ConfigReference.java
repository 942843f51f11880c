package io.wsbridge.connect.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/** Renders a {@link ConfigDef} as the Markdown tables of the README's configuration reference, group by group. */
public final class ConfigReference {

    private ConfigReference() {
    }

    public static String markdown(ConfigDef def) {
        StringBuilder out = new StringBuilder();
        List<String> groups = new ArrayList<>(def.groups());
        for (String group : groups) {
            out.append("#### ").append(group).append("\n\n");
            out.append("| key | type | default | valid values | importance | description |\n");
            out.append("| --- | --- | --- | --- | --- | --- |\n");
            List<ConfigDef.ConfigKey> keys = new ArrayList<>();
            for (Map.Entry<String, ConfigDef.ConfigKey> entry : def.configKeys().entrySet()) {
                if (group.equals(entry.getValue().group)) {
                    keys.add(entry.getValue());
                }
            }
            keys.sort((a, b) -> Integer.compare(a.orderInGroup, b.orderInGroup));
            for (ConfigDef.ConfigKey key : keys) {
                out.append("| `").append(key.name).append("` | ")
                        .append(key.type.toString().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                        .append(defaultValue(key)).append(" | ")
                        .append(key.validator == null ? "" : cell(key.validator.toString())).append(" | ")
                        .append(key.importance.toString().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                        .append(cell(key.documentation)).append(" |\n");
            }
            out.append("\n");
        }
        return out.toString();
    }

    private static String defaultValue(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "(required)";
        }
        if (key.type == ConfigDef.Type.PASSWORD) {
            return key.defaultValue == null ? "" : "[hidden]";
        }
        Object value = key.defaultValue;
        String text = value instanceof List<?> list ? String.join(",", list.stream().map(String::valueOf).toList())
                : String.valueOf(value);
        return text.isEmpty() ? "\"\"" : "`" + text + "`";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
