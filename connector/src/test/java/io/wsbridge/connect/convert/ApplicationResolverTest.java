package io.wsbridge.connect.convert;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApplicationResolverTest {

    private final ApplicationResolver resolver = ApplicationResolver.withDefaultPattern();

    @Test
    void theTopicDecidesWhenThePatternNamesAnApplicationInIt() {
        assertThat(resolver.resolve(event(null), "events-my-app")).isEqualTo("my-app");
        assertThat(resolver.resolve(null, "events-my-app")).isEqualTo("my-app");
        assertThat(resolver.resolve(event("my-app"), "events-my-app")).as("the same application").isEqualTo("my-app");
    }

    /** The resolver remembers the last topic: a topic of the same length after it must not get its answer. */
    @Test
    void eachTopicGetsItsOwnApplicationWhenTopicsAlternate() {
        ApplicationResolver shared = new ApplicationResolver(Pattern.compile("events-(?<application>a.+)|shared-.+"));
        for (int round = 0; round < 3; round++) {
            assertThat(shared.resolveFromExtension(null, "events-ab")).isEqualTo("ab");
            assertThat(shared.resolveFromExtension(null, new String("events-ac"))).isEqualTo("ac");
            assertThat(shared.resolveFromExtension("x", "shared-ab")).as("a shared topic: the extension")
                    .isEqualTo("x");
            assertThat(shared.shared("shared-ab")).isTrue();
            assertThat(shared.shared("events-ab")).isFalse();
        }
    }

    @Test
    void anExtensionNamingAnotherApplicationThanTheTopicIsRefused() {
        assertThatThrownBy(() -> resolver.resolve(event("other-app"), "events-my-app"))
                .isInstanceOf(ApplicationResolver.MismatchException.class)
                .hasMessage("names the application 'other-app' in its CloudEvent extension 'application', but its topic"
                        + " events-my-app belongs to the application 'my-app': an event may only name the application"
                        + " of its topic; produce it to the topic of 'other-app', or set the extension to 'my-app' or"
                        + " leave it out")
                .satisfies(e -> {
                    ApplicationResolver.MismatchException mismatch = (ApplicationResolver.MismatchException) e;
                    assertThat(mismatch.extension()).isEqualTo("other-app");
                    assertThat(mismatch.topicApplication()).isEqualTo("my-app");
                });
    }

    @Test
    void anExtensionMustNameTheTopicsApplicationExactly() {
        for (String other : new String[] {"My-App", "my-app ", " my-app", "my-ap", "my-app2", "events-my-app"}) {
            assertThatThrownBy(() -> resolver.resolveFromExtension(other, "events-my-app")).as("'%s'", other)
                    .isInstanceOf(ApplicationResolver.MismatchException.class)
                    .hasMessageStartingWith("names the application '" + other + "' in its CloudEvent extension");
        }
    }

    @Test
    void aLongExtensionIsCutInTheMessage() {
        String huge = "x".repeat(99) + "\uD83D\uDE00" + "y".repeat(10_000);

        assertThatThrownBy(() -> resolver.resolveFromExtension(huge, "events-my-app"))
                .hasMessageStartingWith("names the application '" + "x".repeat(99) + "'... (10101 characters) in its"
                        + " CloudEvent extension 'application', but its topic events-my-app belongs to the application"
                        + " 'my-app': an event may only name the application of its topic; produce it to the topic of '"
                        + "x".repeat(99) + "'... (10101 characters), or");
    }

    @Test
    void controlCharactersOfTheExtensionAreEscapedInTheMessage() {
        assertThatThrownBy(() -> resolver.resolveFromExtension("evil\n2026-12-02 INFO forged\u0000", "events-my-app"))
                .hasMessageStartingWith("names the application 'evil\\u000a2026-12-02 INFO forged\\u0000' in its"
                        + " CloudEvent extension 'application'");
    }

    @Test
    void theExtensionDecidesOnlyForTopicsThePatternNamesNoApplicationIn() {
        assertThat(resolver.resolve(event("drogue-app"), "telemetry")).isEqualTo("drogue-app");
        assertThat(resolver.resolve(event("drogue-app"), "old-events-my-app")).isEqualTo("drogue-app");
        assertThat(resolver.resolve(event("drogue-app"), "events-")).as("no application in the topic")
                .isEqualTo("drogue-app");
    }

    @Test
    void blankApplicationExtensionCountsAsNone() {
        assertThat(resolver.resolve(event("  "), "events-my-app")).isEqualTo("my-app");
        assertThat(resolver.resolveFromExtension("", "events-my-app")).isEqualTo("my-app");
        assertThat(resolver.resolve(event("  "), "telemetry")).isEqualTo("telemetry");
    }

    @Test
    void topicNameIsTheFallback() {
        assertThat(resolver.resolve(event(null), "telemetry")).isEqualTo("telemetry");
        assertThat(resolver.resolve(event(null), "events-")).isEqualTo("events-");
        assertThat(resolver.resolve(null, "old-events-my-app")).isEqualTo("old-events-my-app");
    }

    @Test
    void theVerdictForATopicStaysTheSameOnceItIsCached() {
        for (int i = 0; i < 3; i++) {
            assertThat(resolver.resolveFromExtension(null, "events-my-app")).isEqualTo("my-app");
            assertThat(resolver.resolveFromExtension("drogue-app", "telemetry")).isEqualTo("drogue-app");
            assertThatThrownBy(() -> resolver.resolveFromExtension("drogue-app", "events-my-app"))
                    .isInstanceOf(ApplicationResolver.MismatchException.class);
        }
    }

    @Test
    void patternWithoutApplicationGroupLeavesTheExtensionOrTheTopic() {
        ApplicationResolver withoutGroup = new ApplicationResolver(Pattern.compile("events-(?<app>.+)"));

        assertThat(withoutGroup.resolve(event(null), "events-my-app")).isEqualTo("events-my-app");
        assertThat(withoutGroup.resolve(event("drogue-app"), "events-my-app")).isEqualTo("drogue-app");
    }

    @Test
    void emptyOrUnmatchedGroupNamesNoApplication() {
        ApplicationResolver optional = new ApplicationResolver(Pattern.compile("(?:tenant\\.(?<application>\\w*)|.*)"));

        assertThat(optional.resolve(null, "tenant.app1")).isEqualTo("app1");
        assertThat(optional.resolve(null, "tenant.")).isEqualTo("tenant.");
        assertThat(optional.resolve(null, "other")).isEqualTo("other");
        assertThat(optional.resolve(event("app2"), "tenant.")).isEqualTo("app2");
        assertThat(optional.resolve(event("app2"), "other")).isEqualTo("app2");
        assertThatThrownBy(() -> optional.resolve(event("app2"), "tenant.app1"))
                .isInstanceOf(ApplicationResolver.MismatchException.class);
    }

    @Test
    void customPatternWithSeveralGroups() {
        ApplicationResolver custom =
                new ApplicationResolver(Pattern.compile("(?<tenant>[^.]+)\\.(?<application>[^.]+)\\.events"));

        assertThat(custom.resolve(null, "acme.sensors.events")).isEqualTo("sensors");
    }

    @Test
    void acceptsValidPatterns() {
        assertThat(ApplicationResolver.validatePattern(ApplicationResolver.DEFAULT_TOPIC_PATTERN)).isNull();
        assertThat(ApplicationResolver.validatePattern("(?x) events- (?<application> .+ ) # Drogue naming")).isNull();
        assertThat(ApplicationResolver.validatePattern("(?<application>.+)\\Q.events")).isNull();
    }

    @Test
    void rejectsEmptyPattern() {
        assertThat(ApplicationResolver.validatePattern(" ")).isEqualTo("The topic pattern is empty: give a regular"
                + " expression with a named group 'application' that captures the application from the topic name,"
                + " e.g. events-(?<application>.+)");
        assertThat(ApplicationResolver.validatePattern(null)).startsWith("The topic pattern is empty");
    }

    @Test
    void rejectsPatternWithSyntaxError() {
        assertThat(ApplicationResolver.validatePattern("events-(?<application>.+"))
                .isEqualTo("The topic pattern 'events-(?<application>.+' is not a valid regular expression"
                        + " (Unclosed group near index 24): fix its syntax, e.g. events-(?<application>.+)");
    }

    @Test
    void rejectsPatternWithoutApplicationGroup() {
        String expected = "The topic pattern '%s' has no named group 'application': enclose the part of the topic"
                + " name that names the application in (?<application>...), e.g. events-(?<application>.+)";

        assertThat(ApplicationResolver.validatePattern("events-(.+)")).isEqualTo(String.format(expected, "events-(.+)"));
        assertThat(ApplicationResolver.validatePattern("events-(?<app>.+)"))
                .isEqualTo(String.format(expected, "events-(?<app>.+)"));
        assertThat(ApplicationResolver.validatePattern("events-\\(?<application>.+\\)"))
                .isEqualTo(String.format(expected, "events-\\(?<application>.+\\)"));
        assertThat(ApplicationResolver.validatePattern("(?x) events-.+ # (?<application>)"))
                .isEqualTo(String.format(expected, "(?x) events-.+ # (?<application>)"));
        assertThat(ApplicationResolver.validatePattern("events-\\Q(?<application>.+)"))
                .isEqualTo(String.format(expected, "events-\\Q(?<application>.+)"));
    }

    private static CloudEvent event(String application) {
        CloudEventBuilder builder = CloudEventBuilder.v1().withId("1").withSource(URI.create("/s")).withType("t");
        if (application != null) {
            builder.withExtension(ApplicationResolver.APPLICATION_EXTENSION, application);
        }
        return builder.build();
    }
}
