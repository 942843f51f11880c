package io.wsbridge.bridge.filter;

import io.cloudevents.sql.Expression;
import io.cloudevents.sql.ParseException;
import io.cloudevents.sql.Parser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.antlr.v4.runtime.misc.Interval;

/**
 * The filters subscribers of one bridge use, compiled once per distinct expression: subscribers that ask for the same
 * text share one {@link Filter}, which routing evaluates once per event, whatever the number of its subscribers. A
 * filter is compiled on the first {@link #acquire} and dropped after the last {@link #release}.
 *
 * <p>Expressions are refused before parsing when they are over {@value #MAX_BYTES} bytes or nest deeper than
 * {@value #MAX_DEPTH} levels: the parser and the evaluator recurse along the expression's nesting, on the threads that
 * accept upgrades and deliver events.
 */
public final class Filters {

    public static final int MAX_BYTES = 1024;
    public static final int MAX_DEPTH = 32;

    private final Map<String, Shared> compiled = new ConcurrentHashMap<>();
    private final LongAdder evaluations = new LongAdder();
    private final LongAdder failures = new LongAdder();

    /**
     * Checks a subscriber's filter before it is admitted, and gives the expression its subscription will
     * {@link #acquire}: what it {@code asked} for, restricted to what access control {@code pinned} (events must match
     * one of the pinned filters, and the one asked for). Each part is validated on its own before they are joined, in
     * parentheses, so no part can change how another is read: a request cannot widen a pin (an {@code OR} of its own
     * stays inside its parentheses, and {@code true) OR (true} is not an expression).
     *
     * @param pinned the filters access control pins, any of which lets an event through; empty for none
     * @param asked the filter the subscriber asks for, or {@code null}
     * @return the expression, or {@code null} if there is no filter
     * @throws InvalidFilterException if an expression is too long, nested too deep or not CloudEvents SQL; the
     *     message says which, and where; {@link InvalidFilterException#pinned()} says whether a pinned one is at fault
     */
    public String validate(List<String> pinned, String asked) throws InvalidFilterException {
        for (String pin : pinned) {
            if (!compiled.containsKey(pin)) {
                try {
                    checkSyntax(pin);
                } catch (InvalidFilterException e) {
                    throw new InvalidFilterException("the filter your access is restricted to is not valid: "
                            + e.getMessage(), true);
                }
            }
        }
        if (asked != null && !compiled.containsKey(asked)) {
            checkSyntax(asked);
        }
        if (pinned.isEmpty()) {
            return asked;
        }
        String pin = join(pinned, " OR ");
        return asked == null ? pin : "(" + pin + ") AND (" + asked + ")";
    }

    /**
     * Checks one expression as {@link #validate} does, without a subscriber: for what is checked before it pins
     * anything (a group attribute).
     *
     * @throws InvalidFilterException if it is empty, too long, nested too deep or not CloudEvents SQL
     */
    public static void checkSyntax(String expression) throws InvalidFilterException {
        check(expression);
        parse(expression);
    }

    /** Valid expressions joined with {@code AND}, each in parentheses: the result is valid too. */
    public static String allOf(List<String> expressions) {
        return join(expressions, " AND ");
    }

    private static String join(List<String> expressions, String operator) {
        if (expressions.size() == 1) {
            return expressions.get(0);
        }
        StringBuilder joined = new StringBuilder();
        for (String expression : expressions) {
            joined.append(joined.length() == 0 ? "(" : operator + "(").append(expression).append(')');
        }
        return joined.toString();
    }

    /**
     * The compiled filter for an expression {@link #validate} gave; {@link #release} it when the subscription ends.
     *
     * @throws InvalidFilterException if it is not CloudEvents SQL (only if it was not validated)
     */
    public Filter acquire(String expression) throws InvalidFilterException {
        Shared shared;
        while (true) {
            shared = compiled.get(expression);
            if (shared == null) {
                Shared created = new Shared(new Filter(expression, parse(expression), evaluations, failures));
                shared = compiled.putIfAbsent(expression, created);
                if (shared == null) {
                    return created.filter;
                }
            }
            if (shared.retain()) {
                return shared.filter;
            }
            // Released to zero concurrently and being removed: compile it again.
            compiled.remove(expression, shared);
        }
    }

    /** Gives back a filter from {@link #acquire}; the last release forgets its compiled form. */
    public void release(Filter filter) {
        Shared shared = compiled.get(filter.expression());
        if (shared != null && shared.filter == filter && shared.release()) {
            compiled.remove(filter.expression(), shared);
        }
    }

    /** Distinct expressions compiled now. */
    public int distinct() {
        return compiled.size();
    }

    /** Evaluations of a filter on an event since the start, over all filters. */
    public long evaluations() {
        return evaluations.sum();
    }

    /** Evaluations that failed (and so did not match) since the start, over all filters. */
    public long failures() {
        return failures.sum();
    }

    /** Refuses what must not reach the parser: an empty, long or deeply nested expression. */
    static void check(String expression) throws InvalidFilterException {
        if (expression == null || expression.isBlank()) {
            throw new InvalidFilterException("the filter is empty");
        }
        int bytes = expression.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new InvalidFilterException("the filter is " + bytes + " bytes long; at most " + MAX_BYTES
                    + " are allowed");
        }
        Nesting nesting = new Nesting();
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                int close = expression.indexOf(c, i + 1);
                if (close < 0) {
                    throw new InvalidFilterException("the filter opens a string at character " + (i + 1)
                            + " and never closes it");
                }
                nesting.operand();
                i = close + 1; // a doubled quote inside a literal closes and reopens it: the same either way
                continue;
            }
            if (Character.isLetterOrDigit(c) || c == '_') {
                int end = i;
                while (end < expression.length()
                        && (Character.isLetterOrDigit(expression.charAt(end)) || expression.charAt(end) == '_')) {
                    end++;
                }
                if (expression.regionMatches(true, i, "NOT", 0, 3) && end - i == 3) {
                    nesting.unary(i);
                } else {
                    nesting.operand();
                }
                i = end;
                continue;
            }
            if (c == '(') {
                nesting.open(i);
            } else if (c == ')') {
                nesting.close();
            } else if (c == '-') {
                nesting.unary(i);
            }
            i++;
        }
    }

    /**
     * How deep the parser and the evaluator will recurse: one level per open parenthesis and one per unary operator
     * ({@code NOT}, {@code -}) still waiting for its operand. Binary operators do not count: the parser loops over
     * them.
     */
    private static final class Nesting {

        private final int[] pending = new int[MAX_DEPTH + 2];
        private int level;
        private int unary;

        void open(int at) throws InvalidFilterException {
            level++;
            pending[level] = 0;
            check(at);
        }

        void close() {
            if (level > 0) {
                unary -= pending[level];
                pending[level] = 0;
                level--;
            }
            operand();
        }

        void unary(int at) throws InvalidFilterException {
            pending[level]++;
            unary++;
            check(at);
        }

        void operand() {
            unary -= pending[level];
            pending[level] = 0;
        }

        private void check(int at) throws InvalidFilterException {
            if (level + unary > MAX_DEPTH) {
                throw new InvalidFilterException("the filter nests more than " + MAX_DEPTH
                        + " levels deep (parentheses and NOT or - in a row) at character " + (at + 1));
            }
        }
    }

    private static Expression parse(String expression) throws InvalidFilterException {
        try {
            return Parser.parseDefault(expression);
        } catch (ParseException e) {
            throw new InvalidFilterException("the filter is not valid CloudEvents SQL" + where(e.getInterval()) + ": "
                    + reason(e));
        } catch (RuntimeException | StackOverflowError e) {
            throw new InvalidFilterException("the filter is not valid CloudEvents SQL (" + e.getClass().getSimpleName()
                    + " in the parser)");
        }
    }

    private static String where(Interval interval) {
        if (interval == null || interval.a < 0) {
            return "";
        }
        return interval.b > interval.a ? " at characters " + (interval.a + 1) + "-" + (interval.b + 1)
                : " at character " + (interval.a + 1);
    }

    /** The parser's message without its own position prefix ({@code [RECOGNITION at 9:8 `<EOF>`] }). */
    private static String reason(ParseException e) {
        String message = e.getMessage();
        if (message == null) {
            return e.getKind().name().toLowerCase(Locale.ROOT);
        }
        String text = message.startsWith("[") && message.indexOf("] ") > 0
                ? message.substring(message.indexOf("] ") + 2) : message;
        // The parser quotes the client's text: control characters must not reach a log line or an answer as such.
        StringBuilder escaped = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                escaped.append(String.format(Locale.ROOT, "\\u%04x", c));
            } else {
                escaped.appendCodePoint(c);
            }
        });
        return escaped.toString();
    }

    /** A compiled filter and the number of subscribers using it. */
    private static final class Shared {

        final Filter filter;
        private int users = 1;

        Shared(Filter filter) {
            this.filter = filter;
        }

        /** @return {@code false} if the last user already released it */
        synchronized boolean retain() {
            if (users == 0) {
                return false;
            }
            users++;
            return true;
        }

        /** @return {@code true} if that was the last user */
        synchronized boolean release() {
            return --users == 0;
        }
    }
}
