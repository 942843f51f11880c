package io.wsbridge.connect.convert;

/**
 * Checks that bytes are exactly one JSON value (RFC 8259), so that they can be embedded in a frame as they are. A
 * recursive descent over the bytes that builds nothing. With {@code utf8} it also checks that the bytes are
 * well-formed UTF-8, in the same pass: outside strings the grammar allows only ASCII, so only the bytes of strings
 * need the check. Without it, the bytes must already be known to be UTF-8. One instance per check.
 */
final class JsonCheck {

    /** Deeper nesting is refused, as Jackson's parser refuses it by default. */
    static final int MAX_DEPTH = 1000;

    private final byte[] s;
    private final int n;
    private final boolean utf8;
    private int i;

    /** For bytes known to be UTF-8. */
    JsonCheck(byte[] utf8) {
        this(utf8, false);
    }

    /** @param checkUtf8 whether to check that the bytes are well-formed UTF-8 as well */
    JsonCheck(byte[] bytes, boolean checkUtf8) {
        this.s = bytes;
        this.n = bytes.length;
        this.utf8 = checkUtf8;
    }

    /** Whether the bytes hold one value with optional white space around it, and nothing else. */
    boolean document() {
        skipWhitespace();
        if (!value(0)) {
            return false;
        }
        skipWhitespace();
        return i == n;
    }

    private boolean value(int depth) {
        if (i >= n) {
            return false;
        }
        switch (s[i]) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            default:
                return number();
        }
    }

    private boolean object(int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        i++;
        skipWhitespace();
        if (i < n && s[i] == '}') {
            i++;
            return true;
        }
        int next;
        do {
            if (i >= n || s[i] != '"' || !string()) {
                return false;
            }
            skipWhitespace();
            if (i >= n || s[i] != ':') {
                return false;
            }
            i++;
            skipWhitespace();
            if (!value(depth)) {
                return false;
            }
        } while ((next = afterElement('}')) == MORE);
        return next == CLOSED;
    }

    private boolean array(int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        i++;
        skipWhitespace();
        if (i < n && s[i] == ']') {
            i++;
            return true;
        }
        int next;
        do {
            if (!value(depth)) {
                return false;
            }
        } while ((next = afterElement(']')) == MORE);
        return next == CLOSED;
    }

    private static final int MORE = 0;
    private static final int CLOSED = 1;
    private static final int MALFORMED = 2;

    /** After a member or element: a comma ({@link #MORE}), the closing bracket ({@link #CLOSED}) or anything else. */
    private int afterElement(char close) {
        skipWhitespace();
        if (i >= n) {
            return MALFORMED;
        }
        if (s[i] == close) {
            i++;
            return CLOSED;
        }
        if (s[i] != ',') {
            return MALFORMED;
        }
        i++;
        skipWhitespace();
        return MORE;
    }

    /** A string from its opening quote: no raw control characters, only the escapes JSON defines. */
    private boolean string() {
        i++;
        while ((i = ByteScan.plainString(s, i, n, utf8)) < n) {
            byte b = s[i];
            if (b == '"') {
                i++;
                return true;
            }
            if (b == '\\') {
                if (++i >= n) {
                    return false;
                }
                switch (s[i]) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> i++;
                    case 'u' -> {
                        if (i + 4 >= n || !hex(s[i + 1]) || !hex(s[i + 2]) || !hex(s[i + 3]) || !hex(s[i + 4])) {
                            return false;
                        }
                        i += 5;
                    }
                    default -> {
                        return false;
                    }
                }
            } else if (b >= 0) {
                return false; // a control character
            } else {
                int length = Payloads.utf8Sequence(s, i, n);
                if (length == 0) {
                    return false;
                }
                i += length;
            }
        }
        return false;
    }

    /** {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?} */
    private boolean number() {
        if (s[i] == '-') {
            i++;
        }
        if (i >= n) {
            return false;
        }
        if (s[i] == '0') {
            i++;
        } else if (s[i] >= '1' && s[i] <= '9') {
            digits();
        } else {
            return false;
        }
        if (i < n && s[i] == '.') {
            i++;
            if (digits() == 0) {
                return false;
            }
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            i++;
            if (i < n && (s[i] == '+' || s[i] == '-')) {
                i++;
            }
            return digits() > 0;
        }
        return true;
    }

    private int digits() {
        int start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        return i - start;
    }

    private boolean literal(String word) {
        if (i + word.length() > n) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (s[i + k] != word.charAt(k)) {
                return false;
            }
        }
        i += word.length();
        return true;
    }

    private void skipWhitespace() {
        while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) {
            i++;
        }
    }

    private static boolean hex(byte b) {
        return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F';
    }
}
