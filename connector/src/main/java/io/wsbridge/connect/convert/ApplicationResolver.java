package io.wsbridge.connect.convert;

import io.cloudevents.CloudEvent;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Finds the application an event belongs to. The topic decides when the topic pattern names an application in it
 * (the whole topic name matches and the named group {@code application} is not empty): who may write an
 * application's topic must not be able to put events into another application. Only for a topic the pattern does not
 * name an application in does the CloudEvent extension {@code application} (what Drogue Cloud sets) decide, and
 * without it the topic name. An event whose extension names another application than its topic is refused with a
 * {@link MismatchException}; the same application, or an empty or blank extension, is fine.
 *
 * <p>Thread-safe; the pattern is compiled once, by the caller, and matched once per topic, not once per event.
 */
public final class ApplicationResolver {

    /** Name of the CloudEvent extension that carries the application. */
    public static final String APPLICATION_EXTENSION = "application";

    /** Name of the topic pattern's capturing group that carries the application. */
    public static final String APPLICATION_GROUP = "application";

    /** The default topic pattern: Drogue Cloud's topic naming, {@code events-<application>}. */
    public static final String DEFAULT_TOPIC_PATTERN = "events-(?<" + APPLICATION_GROUP + ">.+)";

    private static final String EXAMPLE = "e.g. " + DEFAULT_TOPIC_PATTERN;

    /** A task reads a handful of topics: the pattern is matched once per topic, not once per event. */
    private static final int TOPIC_CACHE_LIMIT = 1024;

    private final Pattern topicPattern;
    /** Per topic, the application the pattern names in it, or empty if it names none. */
    private final ConcurrentHashMap<String, Optional<String>> topicApplications = new ConcurrentHashMap<>();
    private final boolean hasApplicationGroup;
    /**
     * The topic looked up last, and its answer: records come in runs of one topic, and the record's topic is often a
     * new {@code String} whose hash would be computed for the map. Immutable, so publishing it racily is safe.
     */
    private volatile TopicApplication last;

    private record TopicApplication(String topic, Optional<String> application) {
    }

    /**
     * @param topicPattern a pattern the whole topic name must match; without a group named {@code application}
     *                     it never contributes and the topic name is the fallback
     */
    public ApplicationResolver(Pattern topicPattern) {
        this.topicPattern = Objects.requireNonNull(topicPattern, "topicPattern");
        this.hasApplicationGroup = hasApplicationGroup(topicPattern);
    }

    /** A resolver with {@link #DEFAULT_TOPIC_PATTERN}. */
    public static ApplicationResolver withDefaultPattern() {
        return new ApplicationResolver(Pattern.compile(DEFAULT_TOPIC_PATTERN));
    }

    public Pattern topicPattern() {
        return topicPattern;
    }

    /**
     * @param event the decoded event, or {@code null} if there is none
     * @param topic the topic the record came from
     * @return the application of the event, never {@code null} nor blank unless the topic is
     * @throws MismatchException if the event's {@code application} extension names another application than its topic
     */
    public String resolve(CloudEvent event, String topic) {
        Object extension = event == null ? null : event.getExtension(APPLICATION_EXTENSION);
        return resolveFromExtension(extension == null ? null : extension.toString(), topic);
    }

    /**
     * @param extension the value of the event's {@code application} extension, or {@code null} if it has none
     * @param topic the topic the record came from
     * @return the application of the event, never {@code null} nor blank unless the topic is
     * @throws MismatchException if {@code extension} names another application than {@code topic}
     */
    public String resolveFromExtension(String extension, String topic) {
        boolean named = extension != null && !extension.isBlank();
        Optional<String> fromTopic = topicApplication(topic);
        if (fromTopic.isPresent()) {
            String application = fromTopic.get();
            if (named && !extension.equals(application)) {
                throw new MismatchException(extension, topic, application);
            }
            return application;
        }
        return named ? extension : topic;
    }

    /**
     * Whether records of {@code topic} may be events of {@code application}: the topic's pattern names it, or the
     * pattern names no application in the topic (the {@code application} extension or the topic decides per record).
     */
    public boolean mayHold(String topic, String application) {
        return topicApplication(topic).map(application::equals).orElse(true);
    }

    /** Whether the pattern names no application in the topic: its records each name theirs (a shared topic). */
    public boolean shared(String topic) {
        return topicApplication(topic).isEmpty();
    }

    /** The application the pattern names in the topic, or empty; the pattern is matched once per topic. */
    private Optional<String> topicApplication(String topic) {
        TopicApplication seen = last;
        if (seen != null && seen.topic.equals(topic)) {
            return seen.application;
        }
        Optional<String> application = lookUp(topic);
        last = new TopicApplication(topic, application);
        return application;
    }

    private Optional<String> lookUp(String topic) {
        Optional<String> application = topicApplications.get(topic);
        if (application == null) {
            application = Optional.ofNullable(fromTopic(topic));
            if (topicApplications.size() >= TOPIC_CACHE_LIMIT) {
                topicApplications.clear();
            }
            topicApplications.put(topic, application);
        }
        return application;
    }

    private String fromTopic(String topic) {
        if (hasApplicationGroup) {
            Matcher matcher = topicPattern.matcher(topic);
            if (matcher.matches()) {
                String application = matcher.group(APPLICATION_GROUP);
                if (application != null && !application.isEmpty()) {
                    return application;
                }
            }
        }
        return null;
    }

    /**
     * Checks a topic pattern given in the configuration.
     *
     * @return {@code null} if the pattern compiles and has a group named {@code application}, else a message that
     *         says what is wrong and how to fix it
     */
    public static String validatePattern(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            return "The topic pattern is empty: give a regular expression with a named group '"
                    + APPLICATION_GROUP + "' that captures the application from the topic name, " + EXAMPLE;
        }
        Pattern compiled;
        try {
            compiled = Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            return "The topic pattern '" + pattern + "' is not a valid regular expression (" + e.getDescription()
                    + (e.getIndex() >= 0 ? " near index " + e.getIndex() : "") + "): fix its syntax, " + EXAMPLE;
        }
        if (!hasApplicationGroup(compiled)) {
            return "The topic pattern '" + pattern + "' has no named group '" + APPLICATION_GROUP
                    + "': enclose the part of the topic name that names the application in (?<"
                    + APPLICATION_GROUP + ">...), " + EXAMPLE;
        }
        return null;
    }

    /**
     * Java 17 cannot list a pattern's named groups, but a back reference to a group that does not exist is a
     * syntax error: compile the pattern followed by {@code \k<application>} once. A trailing comment
     * (comments mode) is ended by a line break, an open {@code \Q} quote by {@code \E}.
     */
    private static boolean hasApplicationGroup(Pattern pattern) {
        if ((pattern.flags() & Pattern.LITERAL) != 0) {
            return false;
        }
        String regex = pattern.pattern();
        String closeQuote = compiles(regex + "\\E", pattern.flags()) ? "\\E" : "";
        return compiles("(?:" + regex + closeQuote + "\n)|\\k<" + APPLICATION_GROUP + ">", pattern.flags());
    }

    private static boolean compiles(String regex, int flags) {
        try {
            Pattern.compile(regex, flags);
            return true;
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "ApplicationResolver{topicPattern=" + topicPattern + "}";
    }

    /**
     * An event whose {@code application} extension names another application than its topic. The message completes
     * "Record &lt;topic/partition/offset&gt; ...", which the converter prepends.
     */
    public static final class MismatchException extends RuntimeException {

        /**
         * The extension value is the producer's text, not an application name: a longer one is cut in the message, and
         * control characters are escaped, so that it cannot forge lines in a log.
         */
        private static final int QUOTE_LIMIT = 100;

        private final String extension;
        private final String topicApplication;

        MismatchException(String extension, String topic, String topicApplication) {
            super("names the application " + quote(extension) + " in its CloudEvent extension '"
                    + APPLICATION_EXTENSION + "', but its topic " + topic + " belongs to the application '"
                    + topicApplication + "': an event may only name the application of its topic; produce it to the"
                    + " topic of " + quote(extension) + ", or set the extension to '" + topicApplication
                    + "' or leave it out", null, false, false);
            this.extension = extension;
            this.topicApplication = topicApplication;
        }

        /** The application the event's extension names. */
        public String extension() {
            return extension;
        }

        /** The application of the event's topic. */
        public String topicApplication() {
            return topicApplication;
        }

        private static String quote(String value) {
            int end = value.length();
            if (end > QUOTE_LIMIT) {
                end = Character.isHighSurrogate(value.charAt(QUOTE_LIMIT - 1)) ? QUOTE_LIMIT - 1 : QUOTE_LIMIT;
            }
            StringBuilder quoted = new StringBuilder(end + 2).append('\'');
            for (int i = 0; i < end; i++) {
                char c = value.charAt(i);
                if (Character.isISOControl(c)) {
                    quoted.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                } else {
                    quoted.append(c);
                }
            }
            quoted.append('\'');
            return end < value.length() ? quoted + "... (" + value.length() + " characters)" : quoted.toString();
        }
    }
}
