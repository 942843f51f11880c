package io.wsbridge.bridge.filter;

/**
 * A {@code LIKE} pattern without escapes: {@code %} any run of characters, {@code _} one character (a code point),
 * everything else itself. The SDK matches through a regular expression whose wildcards stop at line terminators; for
 * a text without any this matcher gives the same answer without allocating, and for one with them it declines.
 */
final class LikePattern {

    private static final char ANY = '%';
    private static final char ONE = '_';

    private final String pattern;

    private LikePattern(String pattern) {
        this.pattern = pattern;
    }

    /**
     * @return the pattern, or {@code null} if it has a backslash (escapes, which the SDK reads its own way) or a
     *     surrogate (its regular expression matches code points)
     */
    static LikePattern of(String pattern) {
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' || Character.isSurrogate(c)) {
                return null;
            }
        }
        return new LikePattern(pattern);
    }

    /**
     * {@link FastExpression#TRUE} if it matches, 0 if not, -1 if it would match but the text has a line terminator
     * (which the SDK's wildcards do not match, and a literal in the pattern might).
     */
    int matches(String text) {
        int length = text.length();
        int p = 0;
        int t = 0;
        int star = -1;
        int starText = 0;
        while (t < length) {
            char c = text.charAt(t);
            char expected = p < pattern.length() ? pattern.charAt(p) : 0;
            if (p < pattern.length() && expected == ONE) {
                t += Character.charCount(text.codePointAt(t));
                p++;
            } else if (p < pattern.length() && expected == ANY) {
                star = p++;
                starText = t;
            } else if (p < pattern.length() && expected == c) {
                t++;
                p++;
            } else if (star >= 0) {
                // Let the last % take one more code point, and try again from there.
                starText += Character.charCount(text.codePointAt(starText));
                t = starText;
                p = star + 1;
            } else {
                return 0;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == ANY) {
            p++;
        }
        if (p < pattern.length()) {
            return 0; // no match with wildcards that match anything: none with wildcards that match less either
        }
        for (int i = 0; i < length; i++) {
            if (isLineTerminator(text.charAt(i))) {
                return -1;
            }
        }
        return FastExpression.TRUE;
    }

    /** What {@code .} in a Java regular expression does not match without flags. */
    private static boolean isLineTerminator(char c) {
        return c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029';
    }

    @Override
    public String toString() {
        return pattern;
    }
}
