package io.wsbridge.bridge.filter;

/**
 * A CloudEvents SQL expression of the common simple shapes, evaluated without allocating: comparisons with
 * {@code =}, {@code !=} and {@code <>}, {@code IN} and {@code NOT IN} over literals, {@code LIKE} and {@code NOT LIKE},
 * {@code EXISTS}, {@code TRUE} and {@code FALSE}, combined with {@code AND}, {@code OR}, {@code XOR} and {@code NOT}
 * (see {@link FastExpressionParser} for exactly what it accepts). Everything else is left to the SDK's runtime.
 *
 * <p>It gives what the SDK's runtime (cloudevents-sql 4.0.1) gives, failures included: the same value and the same
 * verdict on whether the evaluation failed, with the runtime's quirks (a type mismatch casts the left operand of
 * {@code =} to the right one's type and compares the cast's default value if it fails; {@code OR} forgets a failure
 * of its left operand when that is false; a missing attribute reads as {@code false} where it is cast). {@code
 * FastExpressionTest} holds it to the SDK's results on generated expressions and events. Where it cannot be sure
 * cheaply (a {@code LIKE} over a value with a line break, which the SDK's regular expression treats apart), it says
 * {@link #UNSURE} and the caller asks the SDK.
 */
final class FastExpression {

    /** Bits of an evaluation: its value, whether it failed, whether the SDK must decide instead. */
    static final int TRUE = 1;
    static final int FAILED = 2;
    static final int UNSURE = 4;

    private final Node root;

    private FastExpression(Node root) {
        this.root = root;
    }

    /** The expression's fast form, or {@code null} if it is not of a shape this class evaluates. */
    static FastExpression compile(String expression) {
        Node root = FastExpressionParser.parse(expression);
        return root == null ? null : new FastExpression(root);
    }

    /** {@link #TRUE} and {@link #FAILED} as the SDK would set them, or {@link #UNSURE}. */
    int evaluate(EventView event) {
        return root.evaluate(event);
    }

    /** A node whose value is a boolean: each returns {@link #TRUE}, {@link #FAILED} and {@link #UNSURE} bits. */
    interface Node {
        int evaluate(EventView event);
    }

    /** An operand: a literal (string, integer, boolean) or an attribute, whose value is {@code null} if missing. */
    interface Operand {
        Object value(EventView event);
    }

    record Literal(Object value) implements Operand {
        @Override
        public Object value(EventView event) {
            return value;
        }
    }

    record Attribute(String name) implements Operand {
        @Override
        public Object value(EventView event) {
            return event.value(name);
        }
    }

    record Constant(boolean value) implements Node {
        @Override
        public int evaluate(EventView event) {
            return value ? TRUE : 0;
        }
    }

    /** The SDK returns its left operand's result when it is false, else the right one's with both failures. */
    record And(Node left, Node right) implements Node {
        @Override
        public int evaluate(EventView event) {
            int l = left.evaluate(event);
            if ((l & UNSURE) != 0 || (l & TRUE) == 0) {
                return l;
            }
            int r = right.evaluate(event);
            return (r & UNSURE) != 0 ? r : r | (l & FAILED);
        }
    }

    /** The SDK returns its left operand's result when it is true, else the right one's alone. */
    record Or(Node left, Node right) implements Node {
        @Override
        public int evaluate(EventView event) {
            int l = left.evaluate(event);
            return (l & (UNSURE | TRUE)) != 0 ? l : right.evaluate(event);
        }
    }

    record Xor(Node left, Node right) implements Node {
        @Override
        public int evaluate(EventView event) {
            int l = left.evaluate(event);
            if ((l & UNSURE) != 0) {
                return l;
            }
            int r = right.evaluate(event);
            return (r & UNSURE) != 0 ? r : ((l ^ r) & TRUE) | ((l | r) & FAILED);
        }
    }

    record Not(Node operand) implements Node {
        @Override
        public int evaluate(EventView event) {
            int value = operand.evaluate(event);
            return (value & UNSURE) != 0 ? value : value ^ TRUE;
        }
    }

    /** {@code EXISTS name}; the SDK answers {@code true} for a required attribute without looking. */
    record Exists(String name) implements Node {
        @Override
        public int evaluate(EventView event) {
            return event.value(name) != null ? TRUE : 0;
        }
    }

    /**
     * {@code left = right} or, negated, {@code !=}: a missing operand fails with {@code false} (also for {@code !=});
     * otherwise the left value is cast to the right one's type.
     */
    record Compare(Operand left, Operand right, boolean negated) implements Node {
        @Override
        public int evaluate(EventView event) {
            Object l = left.value(event);
            Object r = right.value(event);
            if (l == null || r == null) {
                return FAILED;
            }
            int equal = Casts.castEquals(l, r);
            return negated ? equal ^ TRUE : equal;
        }
    }

    /**
     * {@code operand IN (literals)}: each literal in turn is cast to the operand's type ({@code false}, a boolean, if it
     * is missing, which fails) until one is equal; casts that fail on the way fail the result.
     */
    record In(Operand operand, Object[] literals) implements Node {
        @Override
        public int evaluate(EventView event) {
            Object value = operand.value(event);
            int result = 0;
            if (value == null) {
                value = Boolean.FALSE;
                result = FAILED;
            }
            for (Object literal : literals) {
                int equal = Casts.castEquals(literal, value);
                result |= equal & FAILED;
                if ((equal & TRUE) != 0) {
                    return result | TRUE;
                }
            }
            return result;
        }
    }

    /** {@code operand LIKE pattern}; the operand as a string ({@code "false"} if missing, which fails). */
    record Like(Operand operand, LikePattern pattern) implements Node {
        @Override
        public int evaluate(EventView event) {
            Object value = operand.value(event);
            int failed = 0;
            if (value == null) {
                value = Boolean.FALSE;
                failed = FAILED;
            }
            String text = value instanceof String string ? string : value.toString();
            int matches = pattern.matches(text);
            return matches < 0 ? UNSURE : matches | failed;
        }
    }
}
