package io.wsbridge.bridge.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FiltersTest {

    private static final EventView ALARM = EventView.of(("{\"specversion\":\"1.0\",\"id\":\"e-1\","
            + "\"source\":\"drogue://acme/device-1\",\"type\":\"io.drogue.event.v1\",\"subject\":\"alarm\","
            + "\"time\":\"2026-12-02T10:00:00Z\",\"device\":\"device-1\",\"count\":5,\"urgent\":true,"
            + "\"data\":{\"temp\":21.5}}").getBytes(StandardCharsets.UTF_8));

    private final Filters filters = new Filters();

    /** Validates what a subscriber asks for and acquires it, as the upgrade and the subscription do. */
    private Filter filter(String expression) throws InvalidFilterException {
        return filters.acquire(filters.validate(List.of(), expression));
    }

    @Test
    void compilesEachDistinctExpressionOnceAndForgetsItAfterTheLastRelease() throws Exception {
        Filter first = filter("device = 'device-1'");
        Filter second = filter("device = 'device-1'");
        Filter other = filter("subject = 'alarm'");

        assertThat(second).isSameAs(first);
        assertThat(filters.distinct()).isEqualTo(2);

        filters.release(first);
        assertThat(filters.distinct()).isEqualTo(2);
        filters.release(second);
        assertThat(filters.distinct()).isEqualTo(1);
        assertThat(filter("device = 'device-1'")).isNotSameAs(first);
        filters.release(other);
        assertThat(filters.distinct()).isEqualTo(1);
    }

    @Test
    void matchesOnAttributesAndExtensions() throws Exception {
        assertThat(filter("device = 'device-1'").matches(ALARM)).isTrue();
        assertThat(filter("device = 'device-2'").matches(ALARM)).isFalse();
        assertThat(filter("type LIKE 'io.drogue.%' AND subject = 'alarm'").matches(ALARM)).isTrue();
        assertThat(filter("EXISTS device AND device IN ('a', 'device-1')").matches(ALARM)).isTrue();
        assertThat(filter("source = 'drogue://acme/device-1'").matches(ALARM)).isTrue();
        assertThat(filter("count > 3 AND urgent").matches(ALARM)).isTrue();
        assertThat(filters.failures()).isZero();
    }

    @Test
    void anEvaluationThatFailsDoesNotMatchAndIsCounted() throws Exception {
        assertThat(filter("count + 'abc' = 1").matches(ALARM)).isFalse();
        assertThat(filter("missing = 'x'").matches(ALARM)).isFalse();
        // NOT of a failed comparison would be true: a failure never matches.
        assertThat(filter("NOT (missing = 'x')").matches(ALARM)).isFalse();
        assertThat(filters.failures()).isEqualTo(3);

        assertThat(filter("EXISTS missing AND missing = 'x'").matches(ALARM)).isFalse();
        assertThat(filters.failures()).as("EXISTS guards the comparison").isEqualTo(3);
    }

    @Test
    void anExpressionThatIsNotBooleanDoesNotMatch() throws Exception {
        assertThat(filter("device").matches(ALARM)).isFalse();
    }

    /** Validates what a subscriber asks for under the pins of its access, and acquires it. */
    private Filter pinned(List<String> pins, String asked) throws InvalidFilterException {
        return filters.acquire(filters.validate(pins, asked));
    }

    @Test
    void combinesAPinnedFilterWithTheOneAskedFor() throws Exception {
        Filter combined = pinned(List.of("device = 'device-1'"), "subject = 'alarm'");
        assertThat(combined.expression()).isEqualTo("(device = 'device-1') AND (subject = 'alarm')");
        assertThat(combined.matches(ALARM)).isTrue();
        assertThat(pinned(List.of("device = 'device-2'"), "subject = 'alarm'").matches(ALARM)).isFalse();
        assertThat(pinned(List.of("device = 'device-1'"), "subject = 'telemetry'").matches(ALARM))
                .as("both must match: the pin does not replace what was asked").isFalse();
        assertThat(filters.validate(List.of("device = 'device-1'"), null)).isEqualTo("device = 'device-1'");
        assertThat(filters.validate(List.of(), null)).isNull();
        // An OR in the request cannot widen the pinned filter.
        assertThat(pinned(List.of("device = 'device-2'"), "true OR true").matches(ALARM)).isFalse();
        assertThat(pinned(List.of("device = 'device-2'"), "subject = 'alarm' OR device = 'device-1'").matches(ALARM))
                .isFalse();
    }

    @Test
    void aRequestCannotBreakOutOfItsParenthesesToWidenThePin() throws Exception {
        for (String escape : new String[] {"true) OR (true", "true)) OR ((true", "device = 'x') OR (TRUE",
                "true) OR NOT (false", "'a' = 'a') OR ('b' = 'b'"}) {
            assertThatThrownBy(() -> filters.validate(List.of("device = 'device-2'"), escape)).as(escape)
                    .isInstanceOf(InvalidFilterException.class)
                    .hasMessageStartingWith("the filter is not valid CloudEvents SQL")
                    .satisfies(e -> assertThat(((InvalidFilterException) e).pinned()).isFalse());
        }
        // A parenthesis inside a string literal stays in the literal.
        Filter quoted = pinned(List.of("device = 'device-2'"), "subject = ') OR (true'");
        assertThat(quoted.expression()).isEqualTo("(device = 'device-2') AND (subject = ') OR (true')");
        assertThat(quoted.matches(ALARM)).isFalse();
        assertThat(filters.failures()).isZero();
    }

    @Test
    void severalPinsLetThroughWhatAnyOfThemMatchesAndTheRequestStillNarrowsIt() throws Exception {
        List<String> sites = List.of("device = 'device-1'", "device = 'device-9'");
        Filter either = pinned(sites, null);
        assertThat(either.expression()).isEqualTo("(device = 'device-1') OR (device = 'device-9')");
        assertThat(either.matches(ALARM)).isTrue();
        assertThat(pinned(List.of("device = 'device-8'", "device = 'device-9'"), null).matches(ALARM)).isFalse();

        Filter narrowed = pinned(sites, "subject = 'telemetry'");
        assertThat(narrowed.expression())
                .isEqualTo("((device = 'device-1') OR (device = 'device-9')) AND (subject = 'telemetry')");
        assertThat(narrowed.matches(ALARM)).isFalse();
        assertThat(pinned(sites, "subject = 'alarm'").matches(ALARM)).isTrue();
    }

    @Test
    void aPinnedSessionAndAnUnpinnedOneAskingTheSameShareNothingAndEachPinIsValidatedOnItsOwn() throws Exception {
        Filter asked = filter("subject = 'alarm'");
        Filter pinnedToo = pinned(List.of("device = 'device-2'"), "subject = 'alarm'");
        assertThat(pinnedToo).isNotSameAs(asked);
        assertThat(asked.matches(ALARM)).isTrue();
        assertThat(pinnedToo.matches(ALARM)).isFalse();
        // Each pin on its own: two halves that would make an expression together are refused.
        assertThatThrownBy(() -> filters.validate(List.of("device = 'device-2') OR (true", "true"), null))
                .isInstanceOf(InvalidFilterException.class)
                .satisfies(e -> assertThat(((InvalidFilterException) e).pinned()).isTrue());
    }

    @Test
    void allOfJoinsValidExpressionsThatAllMustMatch() throws Exception {
        assertThat(Filters.allOf(List.of("device = 'device-1'"))).isEqualTo("device = 'device-1'");
        String both = Filters.allOf(List.of("device = 'device-1'", "subject = 'alarm' OR subject = 'x'"));
        assertThat(both).isEqualTo("(device = 'device-1') AND (subject = 'alarm' OR subject = 'x')");
        assertThat(filter(both).matches(ALARM)).isTrue();
        assertThat(filter(Filters.allOf(List.of("device = 'device-2'", "subject = 'alarm' OR true"))).matches(ALARM))
                .isFalse();
    }

    @Test
    void refusesSyntaxErrorsWithTheParsersMessageAndPosition() {
        assertThatThrownBy(() -> filter("device = 'x' AND"))
                .isInstanceOf(InvalidFilterException.class)
                .hasMessageStartingWith("the filter is not valid CloudEvents SQL at character 17: Cannot parse: "
                        + "mismatched input '<EOF>' expecting {'(', 'NOT', '-', 'EXISTS'");
        assertThatThrownBy(() -> filter("device = 'x"))
                .hasMessage("the filter opens a string at character 10 and never closes it");
        assertThatThrownBy(() -> filter(" "))
                .hasMessage("the filter is empty");
        assertThat(filters.distinct()).isZero();
    }

    @Test
    void refusesAPinnedFilterThatIsNotValidSayingSo() {
        assertThatThrownBy(() -> filters.validate(List.of("device = "), "subject = 'alarm'"))
                .satisfies(e -> assertThat(((InvalidFilterException) e).pinned()).isTrue())
                .hasMessage("the filter your access is restricted to is not valid: the filter is not valid "
                        + "CloudEvents SQL at character 10: Cannot parse: mismatched input '<EOF>' expecting {'(', "
                        + "'NOT', '-', 'EXISTS', 'TRUE', 'FALSE', DQUOTED_STRING_LITERAL, SQUOTED_STRING_LITERAL, "
                        + "INTEGER_LITERAL, IDENTIFIER, IDENTIFIER_WITH_NUMBER, FUNCTION_IDENTIFIER_WITH_UNDERSCORE}");
    }

    @Test
    void refusesExpressionsOverOneKilobyte() throws Exception {
        String longest = "device = '" + "x".repeat(Filters.MAX_BYTES - 11) + "'";
        assertThat(longest.length()).isEqualTo(Filters.MAX_BYTES);
        assertThat(filter(longest).matches(ALARM)).isFalse();

        assertThatThrownBy(() -> filter("device = '" + "é".repeat(508) + "'"))
                .hasMessage("the filter is 1027 bytes long; at most 1024 are allowed");
    }

    @Test
    void refusesNestingDeeperThanTheLimit() throws Exception {
        String deepest = "(".repeat(Filters.MAX_DEPTH) + "true" + ")".repeat(Filters.MAX_DEPTH);
        assertThat(filter(deepest).matches(ALARM)).isTrue();
        assertThat(filter("NOT ".repeat(Filters.MAX_DEPTH) + "true").matches(ALARM)).isTrue();

        assertThatThrownBy(() -> filter("(".repeat(33) + "true" + ")".repeat(33)))
                .hasMessage("the filter nests more than 32 levels deep (parentheses and NOT or - in a row) at "
                        + "character 33");
        assertThatThrownBy(() -> filter("-".repeat(1000) + "1 = 1"))
                .hasMessageStartingWith("the filter nests more than 32 levels deep");
        assertThatThrownBy(() -> filter("NOT (".repeat(17) + "true" + ")".repeat(17)))
                .hasMessageStartingWith("the filter nests more than 32 levels deep");
    }

    @Test
    void binaryChainsAndParenthesesInStringsDoNotCountAsNesting() throws Exception {
        assertThat(filter("count = 1 OR ".repeat(77) + "true").matches(ALARM)).isTrue();
        assertThat(filter("subject != '" + "(".repeat(40) + "'").matches(ALARM)).isTrue();
        assertThat(filter("NOT (device = 'x') AND ".repeat(20) + "true").matches(ALARM)).isTrue();
    }
}
