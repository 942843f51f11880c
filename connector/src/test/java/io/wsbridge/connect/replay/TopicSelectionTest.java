package io.wsbridge.connect.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicSelectionTest {

    @Test
    void aListOfTopicsIsTrimmedAndMatchedExactly() {
        TopicSelection selection = TopicSelection.from(Map.of("topics", " events-a, events-b ,,events-a"));

        assertThat(selection.byPattern()).isFalse();
        assertThat(selection.topics()).containsExactly("events-a", "events-b");
        assertThat(selection.matches("events-a")).isTrue();
        assertThat(selection.matches("events-c")).isFalse();
    }

    @Test
    void aPatternWinsAndMatchesWholeNames() {
        TopicSelection selection = TopicSelection.from(Map.of("topics.regex", "events-.*", "topics", "other"));

        assertThat(selection.byPattern()).isTrue();
        assertThat(selection.matches("events-a")).isTrue();
        assertThat(selection.matches("my-events-a")).isFalse();
        assertThat(selection.matches("other")).isFalse();
    }

    @Test
    void neitherKeyNorAnInvalidPatternSelectsNothing() {
        assertThat(TopicSelection.from(Map.of()).topics()).isEmpty();
        assertThat(TopicSelection.from(Map.of()).matches("events-a")).isFalse();
        TopicSelection invalid = TopicSelection.from(Map.of("topics.regex", "events-("));
        assertThat(invalid.byPattern()).isFalse();
        assertThat(invalid.topics()).isEqualTo(List.of());
    }
}
