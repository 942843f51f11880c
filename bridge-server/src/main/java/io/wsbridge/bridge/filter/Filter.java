package io.wsbridge.bridge.filter;

import io.cloudevents.CloudEvent;
import io.cloudevents.sql.EvaluationRuntime;
import io.cloudevents.sql.Expression;
import io.cloudevents.sql.Result;
import java.util.concurrent.atomic.LongAdder;

/**
 * One compiled CloudEvents SQL expression, shared by every subscriber that asked for the same text (see
 * {@link Filters}). An event matches when the expression evaluates to {@code true} without an error: an evaluation
 * that fails (a type mismatch, a missing attribute) does not match, and is counted, never logged per event.
 *
 * <p>An expression of the common simple shapes is evaluated by its {@link FastExpression}, which gives the same results
 * as the SDK's runtime without its allocations, on an {@link EventView}; any other expression or event, and any
 * evaluation the fast form is unsure of, by the SDK's runtime.
 */
public final class Filter {

    private static final EvaluationRuntime RUNTIME = EvaluationRuntime.getDefault();

    private final String expression;
    private final Expression compiled;
    /** The fast form, or {@code null} if the expression is not of a shape it knows. */
    private final FastExpression fast;
    private final LongAdder evaluations;
    private final LongAdder failures;

    Filter(String expression, Expression compiled, LongAdder evaluations, LongAdder failures) {
        this.expression = expression;
        this.compiled = compiled;
        this.fast = FastExpression.compile(expression);
        this.evaluations = evaluations;
        this.failures = failures;
    }

    /** The expression as the subscriber wrote it (combined with a pinned filter: both, joined with AND). */
    public String expression() {
        return expression;
    }

    public boolean matches(CloudEvent event) {
        evaluations.increment();
        if (fast != null && event instanceof EventView view) {
            int verdict = fast.evaluate(view);
            if ((verdict & FastExpression.UNSURE) == 0) {
                if ((verdict & FastExpression.FAILED) != 0) {
                    failures.increment();
                    return false;
                }
                return (verdict & FastExpression.TRUE) != 0;
            }
        }
        Result result;
        try {
            result = compiled.evaluate(RUNTIME, event);
        } catch (RuntimeException e) {
            failures.increment();
            return false;
        }
        if (result.isFailed()) {
            failures.increment();
            return false;
        }
        return Boolean.TRUE.equals(result.value());
    }

    /** Whether the expression has a fast form: for tests and the benchmarks' report. */
    boolean isFast() {
        return fast != null;
    }

    /** Counts an evaluation that could not even start (the event's attributes are unreadable): it does not match. */
    public boolean failed() {
        failures.increment();
        return false;
    }

    @Override
    public String toString() {
        return "Filter[" + expression + "]";
    }
}
