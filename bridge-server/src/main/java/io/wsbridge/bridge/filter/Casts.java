package io.wsbridge.bridge.filter;

/**
 * The CloudEvents SQL runtime's casts between its three types (string, integer, boolean), as cloudevents-sql 4.0.1
 * performs them, for {@link FastExpression}: a cast that fails gives the target type's default ({@code 0},
 * {@code false}) and fails the evaluation.
 */
final class Casts {

    private Casts() {
    }

    /**
     * Casts {@code value} to the type of {@code target} and compares: {@link FastExpression#TRUE} if equal, with
     * {@link FastExpression#FAILED} if the cast failed (and its default was compared). Both are a {@code String},
     * {@code Integer} or {@code Boolean}.
     */
    static int castEquals(Object value, Object target) {
        if (target instanceof String string) {
            return equal(value instanceof String ? value.equals(string) : value.toString().equals(string));
        }
        if (target instanceof Integer integer) {
            int expected = integer;
            if (value instanceof Integer actual) {
                return equal(actual == expected);
            }
            if (value instanceof Boolean actual) {
                return equal((actual ? 1 : 0) == expected);
            }
            String text = (String) value;
            if (!isInteger(text)) {
                return equal(expected == 0) | FastExpression.FAILED;
            }
            return equal(Integer.parseInt(text) == expected);
        }
        boolean expected = (Boolean) target;
        if (value instanceof Boolean actual) {
            return equal(actual == expected);
        }
        if (value instanceof Integer actual) {
            return equal((actual != 0) == expected);
        }
        // The runtime lower-cases with the default locale, and accepts "true" and "false" alone.
        switch (((String) value).toLowerCase()) {
            case "true":
                return equal(expected);
            case "false":
                return equal(!expected);
            default:
                return equal(!expected) | FastExpression.FAILED;
        }
    }

    private static int equal(boolean equal) {
        return equal ? FastExpression.TRUE : 0;
    }

    /** Whether {@link Integer#parseInt(String)} accepts the text, found without provoking its exception. */
    static boolean isInteger(String text) {
        int length = text.length();
        if (length == 0) {
            return false;
        }
        int start = text.charAt(0) == '-' || text.charAt(0) == '+' ? 1 : 0;
        if (start == length) {
            return false;
        }
        for (int i = start; i < length; i++) {
            if (Character.digit(text.charAt(i), 10) < 0) {
                return false;
            }
        }
        if (length - start < 10) {
            return true; // nine digits at most: no overflow
        }
        try {
            Integer.parseInt(text);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
