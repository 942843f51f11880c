package io.wsbridge.bridge.cli;

import java.io.PrintStream;

/**
 * Writes events to standard output: compact, exactly as received and one per line for pipes and files; or
 * indented, and coloured unless {@code NO_COLOR} says otherwise, for a terminal. Text that is not JSON is printed
 * as it is.
 */
final class EventPrinter {

    static final String KEY = "\u001B[1;34m";
    static final String STRING = "\u001B[32m";
    static final String NUMBER = "\u001B[36m";
    static final String LITERAL = "\u001B[33m";
    static final String NULL = "\u001B[90m";
    static final String RESET = "\u001B[0m";

    private final PrintStream out;
    private final boolean pretty;
    private final boolean colour;

    private EventPrinter(PrintStream out, boolean pretty, boolean colour) {
        this.out = out;
        this.pretty = pretty;
        this.colour = colour;
    }

    static EventPrinter compact(PrintStream out) {
        return new EventPrinter(out, false, false);
    }

    static EventPrinter pretty(PrintStream out, boolean colour) {
        return new EventPrinter(out, true, colour);
    }

    /** @return {@code false} once standard output is closed (a pipe's reader went away) */
    synchronized boolean print(String event) {
        if (!pretty) {
            out.println(event);
        } else {
            String formatted = new Formatter(event, colour).format();
            out.println(formatted != null ? formatted : event);
        }
        out.flush();
        return !out.checkError();
    }

    /**
     * Indents JSON text two spaces per level, keeping every string and number exactly as written. Returns
     * {@code null} if the text is not one JSON value.
     */
    static final class Formatter {

        private final String json;
        private final boolean colour;
        private final StringBuilder result = new StringBuilder();
        private int at;

        Formatter(String json, boolean colour) {
            this.json = json;
            this.colour = colour;
        }

        String format() {
            try {
                value(0);
                skipWhitespace();
                return at == json.length() ? result.toString() : null;
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                return null;
            }
        }

        private void value(int depth) {
            skipWhitespace();
            char c = json.charAt(at);
            switch (c) {
                case '{' -> container(depth, '}', true);
                case '[' -> container(depth, ']', false);
                case '"' -> paint(STRING, string());
                case 't' -> paint(LITERAL, literal("true"));
                case 'f' -> paint(LITERAL, literal("false"));
                case 'n' -> paint(NULL, literal("null"));
                default -> {
                    if (c != '-' && (c < '0' || c > '9')) {
                        throw new IllegalArgumentException("unexpected " + c);
                    }
                    paint(NUMBER, number());
                }
            }
        }

        private void container(int depth, char close, boolean object) {
            result.append(json.charAt(at++));
            skipWhitespace();
            if (json.charAt(at) == close) {
                result.append(json.charAt(at++));
                return;
            }
            while (true) {
                result.append('\n').append("  ".repeat(depth + 1));
                if (object) {
                    skipWhitespace();
                    if (json.charAt(at) != '"') {
                        throw new IllegalArgumentException("expected a key");
                    }
                    paint(KEY, string());
                    skipWhitespace();
                    expect(':');
                    result.append(": ");
                }
                value(depth + 1);
                skipWhitespace();
                char next = json.charAt(at++);
                if (next == close) {
                    result.append('\n').append("  ".repeat(depth)).append(close);
                    return;
                }
                if (next != ',') {
                    throw new IllegalArgumentException("expected , or " + close);
                }
                result.append(',');
            }
        }

        private String string() {
            int start = at++;
            while (true) {
                char c = json.charAt(at++);
                if (c == '\\') {
                    at++;
                } else if (c == '"') {
                    return json.substring(start, at);
                } else if (c < 0x20) {
                    throw new IllegalArgumentException("control character in a string");
                }
            }
        }

        private String number() {
            int start = at;
            while (at < json.length() && "+-.eE0123456789".indexOf(json.charAt(at)) >= 0) {
                at++;
            }
            return json.substring(start, at);
        }

        private String literal(String word) {
            if (!json.startsWith(word, at)) {
                throw new IllegalArgumentException("expected " + word);
            }
            at += word.length();
            return word;
        }

        private void expect(char c) {
            if (json.charAt(at++) != c) {
                throw new IllegalArgumentException("expected " + c);
            }
        }

        private void skipWhitespace() {
            while (at < json.length() && " \t\r\n".indexOf(json.charAt(at)) >= 0) {
                at++;
            }
        }

        private void paint(String colourCode, String text) {
            if (colour) {
                result.append(colourCode).append(text).append(RESET);
            } else {
                result.append(text);
            }
        }
    }
}
