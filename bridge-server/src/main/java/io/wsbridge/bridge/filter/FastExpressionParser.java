package io.wsbridge.bridge.filter;

import io.wsbridge.bridge.filter.FastExpression.Node;
import io.wsbridge.bridge.filter.FastExpression.Operand;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the subset of CloudEvents SQL that {@link FastExpression} evaluates, into the same tree the SDK's parser
 * builds, and declines ({@code null}) anything else, without an error: the SDK has parsed the expression before.
 *
 * <p>Accepted: {@code AND}, {@code OR} and {@code XOR} (one precedence, grouping to the right, as the SDK's grammar
 * has them), over: a parenthesized expression; {@code NOT} followed by a parenthesized expression, {@code EXISTS},
 * {@code TRUE}, {@code FALSE} or another such {@code NOT}; {@code EXISTS attr}; {@code TRUE}, {@code FALSE}; and
 * {@code a = b}, {@code a != b}, {@code a <> b}, {@code a [NOT] IN (literals)}, {@code a [NOT] LIKE 'pattern'} where
 * {@code a} and {@code b} are attributes or literals. String literals with a backslash or a doubled quote, arithmetic,
 * order comparisons, functions, and any operand of these not followed by {@code AND}, {@code OR}, {@code XOR},
 * {@code )} or the end are declined, so that no reading of precedence the SDK's grammar might differ on is accepted.
 * Identifiers keep their case, and keywords are found in any case, as the SDK's lexer does; characters outside ASCII
 * are accepted in string literals only.
 */
final class FastExpressionParser {

    private static final Set<String> REQUIRED_ATTRIBUTES = Set.of("specversion", "id", "source", "type");

    private enum Kind { LPAREN, RPAREN, COMMA, EQ, NE, AND, OR, XOR, NOT, LIKE, IN, EXISTS, TRUE, FALSE, STRING,
        INTEGER, IDENTIFIER, END }

    private static final Map<String, Kind> KEYWORDS = Map.of("AND", Kind.AND, "OR", Kind.OR, "XOR", Kind.XOR, "NOT",
            Kind.NOT, "LIKE", Kind.LIKE, "IN", Kind.IN, "EXISTS", Kind.EXISTS, "TRUE", Kind.TRUE, "FALSE", Kind.FALSE);

    private record Token(Kind kind, Object value) {
    }

    /** Thrown, and caught at the top, to decline an expression. */
    private static final class Declined extends Exception {
        private static final long serialVersionUID = 1L;

        Declined() {
            super(null, null, false, false);
        }
    }

    private final List<Token> tokens;
    private int at;

    private FastExpressionParser(List<Token> tokens) {
        this.tokens = tokens;
    }

    /** The expression's tree, or {@code null} if it is outside the subset. */
    static Node parse(String expression) {
        try {
            FastExpressionParser parser = new FastExpressionParser(tokens(expression));
            Node root = parser.logic();
            return parser.peek() == Kind.END ? root : null;
        } catch (Declined e) {
            return null;
        }
    }

    /** {@code unary ((AND | OR | XOR) unary)*}, grouped to the right. */
    private Node logic() throws Declined {
        List<Node> operands = new ArrayList<>();
        List<Kind> operators = new ArrayList<>();
        operands.add(unary());
        while (peek() == Kind.AND || peek() == Kind.OR || peek() == Kind.XOR) {
            operators.add(next().kind());
            operands.add(unary());
        }
        Node result = operands.get(operands.size() - 1);
        for (int i = operators.size() - 1; i >= 0; i--) {
            Node left = operands.get(i);
            result = switch (operators.get(i)) {
                case AND -> new FastExpression.And(left, result);
                case OR -> new FastExpression.Or(left, result);
                default -> new FastExpression.Xor(left, result);
            };
        }
        return result;
    }

    private Node unary() throws Declined {
        Node node = peek() == Kind.NOT ? negated() : predicate();
        Kind following = peek();
        if (following != Kind.AND && following != Kind.OR && following != Kind.XOR && following != Kind.RPAREN
                && following != Kind.END) {
            throw new Declined();
        }
        return node;
    }

    /** {@code NOT} and what it may apply to without a question of precedence. */
    private Node negated() throws Declined {
        next();
        return new FastExpression.Not(switch (peek()) {
            case NOT -> negated();
            case LPAREN -> parenthesized();
            case EXISTS -> exists();
            case TRUE, FALSE -> new FastExpression.Constant(next().kind() == Kind.TRUE);
            default -> throw new Declined();
        });
    }

    private Node parenthesized() throws Declined {
        expect(Kind.LPAREN);
        Node inner = logic();
        expect(Kind.RPAREN);
        return inner;
    }

    private Node exists() throws Declined {
        expect(Kind.EXISTS);
        // The SDK lower-cases the name (with the default locale, as here) and knows the required ones exist.
        String name = ((String) expect(Kind.IDENTIFIER).value()).toLowerCase();
        return REQUIRED_ATTRIBUTES.contains(name) ? new FastExpression.Constant(true) : new FastExpression.Exists(name);
    }

    private Node predicate() throws Declined {
        if (peek() == Kind.LPAREN || peek() == Kind.EXISTS) {
            return peek() == Kind.LPAREN ? parenthesized() : exists();
        }
        Operand left = operand();
        switch (peek()) {
            case EQ, NE -> {
                boolean negated = next().kind() == Kind.NE;
                return new FastExpression.Compare(left, operand(), negated);
            }
            case IN -> {
                return in(left);
            }
            case LIKE -> {
                return like(left);
            }
            case NOT -> {
                next();
                if (peek() == Kind.IN) {
                    return new FastExpression.Not(in(left));
                }
                if (peek() == Kind.LIKE) {
                    return new FastExpression.Not(like(left));
                }
                throw new Declined();
            }
            default -> {
                if (left instanceof FastExpression.Literal literal && literal.value() instanceof Boolean value) {
                    return new FastExpression.Constant(value);
                }
                throw new Declined(); // an attribute, a string or an integer taken as a boolean
            }
        }
    }

    private Operand operand() throws Declined {
        Token token = next();
        return switch (token.kind()) {
            case IDENTIFIER -> {
                if (peek() == Kind.LPAREN) {
                    throw new Declined(); // a function call
                }
                yield new FastExpression.Attribute((String) token.value());
            }
            case STRING, INTEGER -> new FastExpression.Literal(token.value());
            case TRUE, FALSE -> new FastExpression.Literal(token.kind() == Kind.TRUE);
            default -> throw new Declined();
        };
    }

    private Node in(Operand left) throws Declined {
        expect(Kind.IN);
        expect(Kind.LPAREN);
        List<Object> literals = new ArrayList<>();
        while (true) {
            if (!(operand() instanceof FastExpression.Literal literal)) {
                throw new Declined();
            }
            literals.add(literal.value());
            Kind after = next().kind();
            if (after == Kind.RPAREN) {
                return new FastExpression.In(left, literals.toArray());
            }
            if (after != Kind.COMMA) {
                throw new Declined();
            }
        }
    }

    private Node like(Operand left) throws Declined {
        expect(Kind.LIKE);
        LikePattern pattern = LikePattern.of((String) expect(Kind.STRING).value());
        if (pattern == null) {
            throw new Declined();
        }
        return new FastExpression.Like(left, pattern);
    }

    private Kind peek() {
        return tokens.get(at).kind();
    }

    private Token next() {
        Token token = tokens.get(at);
        if (token.kind() != Kind.END) {
            at++;
        }
        return token;
    }

    private Token expect(Kind kind) throws Declined {
        Token token = next();
        if (token.kind() != kind) {
            throw new Declined();
        }
        return token;
    }

    /** The expression's tokens as the SDK's lexer finds them, for those this parser knows; else declined. */
    private static List<Token> tokens(String text) throws Declined {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int length = text.length();
        while (i < length) {
            char c = text.charAt(i);
            char following = i + 1 < length ? text.charAt(i + 1) : 0;
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                i++;
            } else if (c == '(' || c == ')' || c == ',' || c == '=') {
                tokens.add(new Token(c == '(' ? Kind.LPAREN : c == ')' ? Kind.RPAREN : c == ',' ? Kind.COMMA : Kind.EQ,
                        null));
                i++;
            } else if (c == '!' && following == '=' || c == '<' && following == '>') {
                tokens.add(new Token(Kind.NE, null));
                i += 2;
            } else if (c == '\'' || c == '"') {
                int close = text.indexOf(c, i + 1);
                String value = close < 0 ? null : text.substring(i + 1, close);
                if (value == null || value.indexOf('\\') >= 0 || close + 1 < length && text.charAt(close + 1) == c) {
                    throw new Declined(); // escapes and doubled quotes: the SDK reads them its own way
                }
                tokens.add(new Token(Kind.STRING, value));
                i = close + 1;
            } else if (isLetter(c) || isDigit(c) || (c == '+' || c == '-') && isDigit(following)) {
                int end = i + 1;
                while (end < length && (isLetter(text.charAt(end)) || isDigit(text.charAt(end)))) {
                    end++;
                }
                if (end < length && text.charAt(end) == '_') {
                    throw new Declined(); // a function name
                }
                tokens.add(word(text.substring(i, end)));
                i = end;
            } else {
                throw new Declined();
            }
        }
        tokens.add(new Token(Kind.END, null));
        return tokens;
    }

    /**
     * A run of ASCII letters and digits, maybe after a sign: an integer if it is digits only (the SDK's lexer prefers
     * the longest token, and an integer to an identifier of the same length), else a keyword or an identifier.
     */
    private static Token word(String word) throws Declined {
        boolean signed = word.charAt(0) == '+' || word.charAt(0) == '-';
        if (word.chars().skip(signed ? 1 : 0).allMatch(c -> isDigit((char) c))) {
            try {
                return new Token(Kind.INTEGER, Integer.parseInt(word));
            } catch (NumberFormatException e) {
                throw new Declined();
            }
        }
        if (signed) {
            throw new Declined(); // a signed integer, then a word
        }
        Kind keyword = KEYWORDS.get(word.toUpperCase(Locale.ROOT)); // ASCII letters and digits only
        return keyword != null ? new Token(keyword, null) : new Token(Kind.IDENTIFIER, word);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isLetter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }
}
