package io.wsbridge.connect.replay;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The topics a sink connector reads, as its configuration names them: the list of {@code topics}, or the pattern of
 * {@code topics.regex}. The history reads only these, whatever a client's cursor names.
 */
public record TopicSelection(List<String> topics, Pattern regex) {

    public static final String TOPICS = "topics";
    public static final String TOPICS_REGEX = "topics.regex";

    /** From a connector's (or its task's) properties; none when neither key is set (nothing is read then). */
    public static TopicSelection from(Map<String, String> properties) {
        String regex = properties.get(TOPICS_REGEX);
        if (regex != null && !regex.isBlank()) {
            try {
                return new TopicSelection(List.of(), Pattern.compile(regex.trim()));
            } catch (PatternSyntaxException e) {
                return none(); // Connect itself refuses the connector
            }
        }
        String topics = properties.get(TOPICS);
        if (topics == null || topics.isBlank()) {
            return none();
        }
        return new TopicSelection(Arrays.stream(topics.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                .distinct().toList(), null);
    }

    public static TopicSelection none() {
        return new TopicSelection(List.of(), null);
    }

    /** Whether the selection names topics by pattern (the broker's topic list must be read then). */
    public boolean byPattern() {
        return regex != null;
    }

    public boolean matches(String topic) {
        return regex != null ? regex.matcher(topic).matches() : topics.contains(topic);
    }
}
