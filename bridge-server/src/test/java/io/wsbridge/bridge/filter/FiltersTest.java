package io.wsbridge.bridge.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FiltersTest {

    private static final EventView ALARM = EventView.of(("{\"specversion\":\"1.0\",\"id\":\"e-1\","
            + "\"source\":\"drogue://acme/device-1\",\"type\":\"io.drogue.event.v1\",\"subject\":\"alarm\","
            + "\"time\":\"2026-12-02T10:00:00Z\",\"device\":\"device-1\",\"count\":5,\"urgent\":true,"
            + "\"data\":{\"temp\":21.5}}").getBytes(StandardCharsets.UTF_8));

    private final Filters filters = new Filters();

    @Test
    void compilesEachDistinctExpressionOnceAndForgetsItAfterTheLastRelease() throws Exception {
        Filter first = filters.acquire("device = 'device-1'");
        Filter second = filters.acquire("device = 'device-1'");
        Filter other = filters.acquire("subject = 'alarm'");

        assertThat(second).isSameAs(first);
        assertThat(filters.distinct()).isEqualTo(2);

        filters.release(first);
        assertThat(filters.distinct()).isEqualTo(2);
        filters.release(second);
        assertThat(filters.distinct()).isEqualTo(1);
        assertThat(filters.acquire("device = 'device-1'")).isNotSameAs(first);
        filters.release(other);
        assertThat(filters.distinct()).isEqualTo(1);
    }

    @Test
    void matchesOnAttributesAndExtensions() throws Exception {
        assertThat(filters.acquire("device = 'device-1'").matches(ALARM)).isTrue();
        assertThat(filters.acquire("device = 'device-2'").matches(ALARM)).isFalse();
        assertThat(filters.acquire("type LIKE 'io.drogue.%' AND subject = 'alarm'").matches(ALARM)).isTrue();
        assertThat(filters.acquire("EXISTS device AND device IN ('a', 'device-1')").matches(ALARM)).isTrue();
        assertThat(filters.acquire("source = 'drogue://acme/device-1'").matches(ALARM)).isTrue();
        assertThat(filters.acquire("count > 3 AND urgent").matches(ALARM)).isTrue();
        assertThat(filters.failures()).isZero();
    }

    @Test
    void anEvaluationThatFailsDoesNotMatchAndIsCounted() throws Exception {
        assertThat(filters.acquire("count + 'abc' = 1").matches(ALARM)).isFalse();
        assertThat(filters.acquire("missing = 'x'").matches(ALARM)).isFalse();
        // NOT of a failed comparison would be true: a failure never matches.
        assertThat(filters.acquire("NOT (missing = 'x')").matches(ALARM)).isFalse();
        assertThat(filters.failures()).isEqualTo(3);

        assertThat(filters.acquire("EXISTS missing AND missing = 'x'").matches(ALARM)).isFalse();
        assertThat(filters.failures()).as("EXISTS guards the comparison").isEqualTo(3);
    }

    @Test
    void anExpressionThatIsNotBooleanDoesNotMatch() throws Exception {
        assertThat(filters.acquire("device").matches(ALARM)).isFalse();
    }

    @Test
    void combinesAPinnedFilterWithTheOneAskedFor() throws Exception {
        Filter combined = filters.acquire("device = 'device-1'", "subject = 'alarm'");
        assertThat(combined.expression()).isEqualTo("(device = 'device-1') AND (subject = 'alarm')");
        assertThat(combined.matches(ALARM)).isTrue();
        assertThat(filters.acquire("device = 'device-2'", "subject = 'alarm'").matches(ALARM)).isFalse();
        assertThat(filters.acquire("device = 'device-1'", null).expression()).isEqualTo("device = 'device-1'");
        // An OR in the request cannot widen the pinned filter.
        assertThat(filters.acquire("device = 'device-2'", "true OR true").matches(ALARM)).isFalse();
    }

    @Test
    void refusesSyntaxErrorsWithTheParsersMessageAndPosition() {
        assertThatThrownBy(() -> filters.acquire("device = 'x' AND"))
                .isInstanceOf(InvalidFilterException.class)
                .hasMessageStartingWith("the filter is not valid CloudEvents SQL at character 17: Cannot parse: "
                        + "mismatched input '<EOF>' expecting {'(', 'NOT', '-', 'EXISTS'");
        assertThatThrownBy(() -> filters.acquire("device = 'x"))
                .hasMessage("the filter opens a string at character 10 and never closes it");
        assertThatThrownBy(() -> filters.acquire(" "))
                .hasMessage("the filter is empty");
        assertThat(filters.distinct()).isZero();
    }

    @Test
    void refusesAPinnedFilterThatIsNotValidSayingSo() {
        assertThatThrownBy(() -> filters.acquire("device = ", "subject = 'alarm'"))
                .hasMessage("the filter your access is restricted to is not valid: the filter is not valid "
                        + "CloudEvents SQL at character 10: Cannot parse: mismatched input '<EOF>' expecting {'(', "
                        + "'NOT', '-', 'EXISTS', 'TRUE', 'FALSE', DQUOTED_STRING_LITERAL, SQUOTED_STRING_LITERAL, "
                        + "INTEGER_LITERAL, IDENTIFIER, IDENTIFIER_WITH_NUMBER, FUNCTION_IDENTIFIER_WITH_UNDERSCORE}");
    }

    @Test
    void refusesExpressionsOverOneKilobyte() throws Exception {
        String longest = "device = '" + "x".repeat(Filters.MAX_BYTES - 11) + "'";
        assertThat(longest.length()).isEqualTo(Filters.MAX_BYTES);
        assertThat(filters.acquire(longest).matches(ALARM)).isFalse();

        assertThatThrownBy(() -> filters.acquire("device = '" + "é".repeat(508) + "'"))
                .hasMessage("the filter is 1027 bytes long; at most 1024 are allowed");
    }

    @Test
    void refusesNestingDeeperThanTheLimit() throws Exception {
        String deepest = "(".repeat(Filters.MAX_DEPTH) + "true" + ")".repeat(Filters.MAX_DEPTH);
        assertThat(filters.acquire(deepest).matches(ALARM)).isTrue();
        assertThat(filters.acquire("NOT ".repeat(Filters.MAX_DEPTH) + "true").matches(ALARM)).isTrue();

        assertThatThrownBy(() -> filters.acquire("(".repeat(33) + "true" + ")".repeat(33)))
                .hasMessage("the filter nests more than 32 levels deep (parentheses and NOT or - in a row) at "
                        + "character 33");
        assertThatThrownBy(() -> filters.acquire("-".repeat(1000) + "1 = 1"))
                .hasMessageStartingWith("the filter nests more than 32 levels deep");
        assertThatThrownBy(() -> filters.acquire("NOT (".repeat(17) + "true" + ")".repeat(17)))
                .hasMessageStartingWith("the filter nests more than 32 levels deep");
    }

    @Test
    void binaryChainsAndParenthesesInStringsDoNotCountAsNesting() throws Exception {
        assertThat(filters.acquire("count = 1 OR ".repeat(77) + "true").matches(ALARM)).isTrue();
        assertThat(filters.acquire("subject != '" + "(".repeat(40) + "'").matches(ALARM)).isTrue();
        assertThat(filters.acquire("NOT (device = 'x') AND ".repeat(20) + "true").matches(ALARM)).isTrue();
    }
}
