package io.wsbridge.bridge.filter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.sql.EvaluationRuntime;
import io.cloudevents.sql.Expression;
import io.cloudevents.sql.Parser;
import io.cloudevents.sql.Result;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The fast evaluator against the SDK's runtime (cloudevents-sql), on generated expressions of the shapes it accepts
 * and generated events: the same value and the same failure, every time it answers. Type mismatches, missing
 * attributes, keywords in any case, precedence without parentheses, and LIKE over line breaks and characters outside
 * the BMP are all generated on purpose.
 */
class FastExpressionTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final EvaluationRuntime RUNTIME = EvaluationRuntime.getDefault();

    private static final List<String> NAMES = List.of("device", "count", "urgent", "subject", "missing", "Device",
            "id", "type", "time", "specversion", "wsbridgecursor");
    private static final List<Object> VALUES = List.of("device-1", "device-2", "42", "+42", "0042", "0", "1", "-3",
            "true", "TRUE", "False", "false", "abc", "", "a\nb", "line\r", "x%y_z", "\u00e9t\u00e9", "\ud83d\ude00x", 0,
            1, 5, 42, -3, true, false, "12345678901");
    private static final List<String> LITERALS = List.of("'device-1'", "\"device-2\"", "'42'", "'+42'", "'true'",
            "'TRUE'", "'false'", "'abc'", "''", "'0'", "'\u00e9t\u00e9'", "42", "0", "1", "-3", "+5", "007", "TRUE",
            "FALSE", "true", "false");
    private static final List<String> PATTERNS = List.of("'device-%'", "'%1'", "'_'", "'%'", "''", "'a_b'", "'%x%'",
            "'tr%'", "'fa_se'", "'4_'", "'%%'", "'_%_'", "\"%e\"", "'\u00e9%'", "'%_x'", "'a%b'", "'line_'");

    @Test
    void agreesWithTheSdkOnGeneratedExpressionsAndEvents() throws Exception {
        Random random = new Random(20261203);
        List<EventView> events = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            events.add(event(random));
        }
        int compared = 0;
        int unsure = 0;
        int failed = 0;
        int matched = 0;
        for (int i = 0; i < 3_000; i++) {
            String text = expression(random, 3);
            FastExpression fast = FastExpression.compile(text);
            assertThat(fast).as("fast form of %s", text).isNotNull();
            Expression sdk = Parser.parseDefault(text);
            for (EventView event : events) {
                int verdict = fast.evaluate(event);
                if ((verdict & FastExpression.UNSURE) != 0) {
                    unsure++;
                    continue;
                }
                Result expected = sdk.evaluate(RUNTIME, event);
                String context = text + " on " + describe(event);
                assertThat((verdict & FastExpression.FAILED) != 0).as("failed: %s", context)
                        .isEqualTo(expected.isFailed());
                assertThat((verdict & FastExpression.TRUE) != 0).as("value: %s", context)
                        .isEqualTo(Boolean.TRUE.equals(expected.value()));
                compared++;
                failed += expected.isFailed() ? 1 : 0;
                matched += !expected.isFailed() && Boolean.TRUE.equals(expected.value()) ? 1 : 0;
            }
        }
        // Every side must be exercised, or the comparison proves little.
        assertThat(compared).isGreaterThan(150_000);
        assertThat(failed).as("failed evaluations").isGreaterThan(compared / 10);
        assertThat(matched).as("matches").isGreaterThan(compared / 10);
        assertThat(unsure).as("left to the SDK").isLessThan(compared / 20);
    }

    @Test
    void likeAgreesWithTheSdkOnGeneratedTexts() throws Exception {
        Random random = new Random(7);
        String alphabet = "ab%_x\u00e9\n\r";
        int compared = 0;
        int unsure = 0;
        for (int i = 0; i < 400; i++) {
            StringBuilder pattern = new StringBuilder();
            for (int n = random.nextInt(6); n > 0; n--) {
                pattern.append("ab%_x\u00e9".charAt(random.nextInt(6)));
            }
            String text = "device LIKE '" + pattern + "'";
            FastExpression fast = FastExpression.compile(text);
            assertThat(fast).as(text).isNotNull();
            Expression sdk = Parser.parseDefault(text);
            for (int j = 0; j < 60; j++) {
                StringBuilder value = new StringBuilder();
                for (int n = random.nextInt(7); n > 0; n--) {
                    int pick = random.nextInt(alphabet.length() + 1);
                    value.append(pick == alphabet.length() ? "\ud83d\ude00" : String.valueOf(alphabet.charAt(pick)));
                }
                EventView event = view(Map.of("specversion", "1.0", "id", "e", "source", "s", "type", "t", "device",
                        value.toString()));
                int verdict = fast.evaluate(event);
                if ((verdict & FastExpression.UNSURE) != 0) {
                    unsure++;
                    continue;
                }
                Result expected = sdk.evaluate(RUNTIME, event);
                assertThat((verdict & FastExpression.TRUE) != 0).as("%s on %s", text, value)
                        .isEqualTo(Boolean.TRUE.equals(expected.value()));
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(10_000);
        assertThat(unsure).as("matches over line breaks, left to the SDK").isPositive();
    }

    @Test
    void groupsAndOrAndXorToTheRightAndNotTightlyAsTheSdk() {
        for (String text : List.of("FALSE AND FALSE OR TRUE", "TRUE OR FALSE AND FALSE", "TRUE XOR TRUE OR TRUE",
                "NOT FALSE AND FALSE", "NOT (FALSE) OR TRUE", "NOT NOT TRUE AND FALSE", "FALSE or TRUE and FALSE",
                "TRUE = FALSE OR TRUE", "NOT EXISTS missing AND FALSE")) {
            FastExpression fast = FastExpression.compile(text);
            Result expected = Parser.parseDefault(text).evaluate(RUNTIME, view(Map.of("id", "e")));
            assertThat(fast).as(text).isNotNull();
            assertThat(fast.evaluate(view(Map.of("id", "e"))) & FastExpression.TRUE).as(text)
                    .isEqualTo(Boolean.TRUE.equals(expected.value()) ? FastExpression.TRUE : 0);
        }
    }

    @Test
    void declinesWhatItDoesNotEvaluateExactly() {
        for (String text : List.of("count > 3", "count + 1 = 2", "ABS(count) = 1", "device", "NOT device = 'x'",
                "NOT (device) = 'x'", "device = 'it''s'", "device = 'a\\'b'", "device LIKE 'a\\%'", "a = b = c",
                "device IN (subject)", "(device) = 'x'", "device = 'x' # ignored", "d\u00e9vice = 'x'",
                "IS_INT(count)", "-count = 1", "EXISTS device = TRUE", "1", "'x'", "device IN ('x') = TRUE",
                "device LIKE '\ud83d\ude00'")) {
            assertThat(FastExpression.compile(text)).as(text).isNull();
        }
    }

    @Test
    void acceptsTheCommonShapes() {
        for (String text : List.of("device = 'device-1'", "device IN ('a', 'b') AND NOT (subject = 'x')",
                "type LIKE 'io.drogue.%' or EXISTS urgent", "(device = 'a') AND (subject <> 'b')",
                "count != 3 XOR urgent = TRUE", "NOT EXISTS missing", "device NOT IN (1, 'x', TRUE)",
                "subject NOT LIKE '%alarm_'", "1abc = \"x\"", "count = -3", "count = +5")) {
            assertThat(FastExpression.compile(text)).as(text).isNotNull();
        }
    }

    @Test
    void aFastEvaluationThatFailsIsCountedAndDoesNotMatch() throws Exception {
        Filters filters = new Filters();
        EventView event = view(Map.of("specversion", "1.0", "id", "e", "source", "s", "type", "t", "device", "abc",
                "count", 5));
        Filter mismatch = filters.acquire(filters.validate(List.of(), "device = 0"));
        Filter missing = filters.acquire(filters.validate(List.of(), "NOT (missing = 'x')"));
        Filter forgotten = filters.acquire(filters.validate(List.of(), "missing = 'x' OR count = 5"));
        assertThat(mismatch.isFast() && missing.isFast() && forgotten.isFast()).isTrue();

        assertThat(mismatch.matches(event)).as("'abc' cast to an integer fails: 0, which equals 0").isFalse();
        assertThat(missing.matches(event)).isFalse();
        assertThat(filters.failures()).isEqualTo(2);
        assertThat(forgotten.matches(event)).as("OR forgets the failure of a false left side, as the SDK").isTrue();
        assertThat(filters.failures()).isEqualTo(2);
        assertThat(filters.evaluations()).isEqualTo(3);
    }

    private static String expression(Random random, int depth) {
        int shape = random.nextInt(depth <= 0 ? 7 : 12);
        String keyword = random.nextInt(4) == 0 ? "lower" : "upper";
        Supplier<String> operand = () -> random.nextBoolean() ? pick(random, NAMES) : pick(random, LITERALS);
        String not = random.nextInt(3) == 0 ? k(keyword, "NOT ") : "";
        return switch (shape) {
            case 0, 1 -> operand.get() + pick(random, List.of(" = ", " != ", " <> ", "=")) + operand.get();
            case 2 -> {
                StringBuilder set = new StringBuilder(pick(random, LITERALS));
                for (int n = random.nextInt(3); n > 0; n--) {
                    set.append(", ").append(pick(random, LITERALS));
                }
                yield operand.get() + " " + not + k(keyword, "IN") + " (" + set + ")";
            }
            case 3 -> operand.get() + " " + not + k(keyword, "LIKE ") + pick(random, PATTERNS);
            case 4 -> k(keyword, "EXISTS ") + pick(random, NAMES);
            case 5 -> pick(random, List.of("TRUE", "FALSE", "true", "False"));
            case 6 -> k(keyword, "NOT EXISTS ") + pick(random, NAMES);
            case 7 -> "(" + expression(random, depth - 1) + ")";
            case 8 -> k(keyword, "NOT ") + "(" + expression(random, depth - 1) + ")";
            default -> expression(random, depth - 1) + " " + k(keyword, pick(random, List.of("AND", "OR", "XOR")))
                    + " " + expression(random, depth - 1);
        };
    }

    private static String k(String keywordCase, String keyword) {
        return keywordCase.equals("lower") ? keyword.toLowerCase() : keyword;
    }

    private static EventView event(Random random) throws Exception {
        Map<String, Object> members = new LinkedHashMap<>();
        members.put("specversion", "1.0");
        if (random.nextInt(10) > 0) {
            members.put("id", "e-" + random.nextInt(100));
        }
        members.put("source", "drogue://acme/device-1");
        members.put("type", "io.drogue.event.v1");
        for (String name : List.of("device", "count", "urgent", "subject", "Device", "time", "wsbridgecursor")) {
            if (random.nextInt(4) > 0) {
                Object value = VALUES.get(random.nextInt(VALUES.size()));
                boolean context = name.equals("subject") || name.equals("time");
                members.put(name, context ? value.toString() : value);
            }
        }
        members.put("data", Map.of("device", "in-the-data"));
        return view(members);
    }

    private static EventView view(Map<String, Object> members) {
        try {
            return EventView.of(MAPPER.writeValueAsBytes(members));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(EventView event) {
        Map<String, Object> members = new LinkedHashMap<>();
        for (String name : NAMES) {
            members.put(name, event.value(name));
        }
        return members.toString();
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
