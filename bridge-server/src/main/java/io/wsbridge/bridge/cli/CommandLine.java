package io.wsbridge.bridge.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed {@code wsbridge} command line: the words (command, sub-command, arguments) and the options, given as
 * {@code --name value} or {@code --name=value} anywhere on the line ({@code -n N} is {@code --count N});
 * {@code --} ends the options.
 */
final class CommandLine {

    /** The options of {@code wsbridge keys}. */
    static final Set<String> KEYS_OPTIONS = Set.of("keycloak-url", "realm", "client-id", "client-secret", "user");

    /** The options of {@code wsbridge stream}. */
    static final Set<String> STREAM_OPTIONS = Set.of("url", "channel", "group-id", "filter", "from", "count", "token",
            "username", "api-key", "token-command");

    /** Every option that takes a value. */
    static final Set<String> OPTIONS = union(KEYS_OPTIONS, STREAM_OPTIONS);

    private final List<String> words;
    private final Map<String, String> options;
    private final boolean help;

    private CommandLine(List<String> words, Map<String, String> options, boolean help) {
        this.words = words;
        this.options = options;
        this.help = help;
    }

    static CommandLine parse(String[] args) throws UsageException {
        for (String arg : args) {
            if (arg.equals("--")) {
                break;
            }
            if (arg.equals("-h") || arg.equals("--help")) {
                return new CommandLine(List.of(), Map.of(), true);
            }
        }
        List<String> words = new ArrayList<>();
        Map<String, String> options = new HashMap<>();
        boolean optionsEnded = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (optionsEnded || !arg.startsWith("-") || arg.equals("-")) {
                words.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                optionsEnded = true;
                continue;
            }
            String name;
            String value = null;
            if (arg.startsWith("-n") && !arg.startsWith("--")) {
                name = "count";
                if (arg.length() > 2) {
                    value = arg.substring(arg.charAt(2) == '=' ? 3 : 2);
                }
            } else if (arg.startsWith("--")) {
                int equals = arg.indexOf('=');
                name = equals < 0 ? arg.substring(2) : arg.substring(2, equals);
                if (!OPTIONS.contains(name)) {
                    throw new UsageException("unknown option '--" + name + "'");
                }
                if (equals >= 0) {
                    value = arg.substring(equals + 1);
                }
            } else {
                throw new UsageException("unknown option '" + name(arg) + "'");
            }
            if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException("option --" + name + " needs a value");
                }
                value = args[++i];
            }
            if (value.isBlank()) {
                throw new UsageException("option --" + name + " needs a value");
            }
            if (options.putIfAbsent(name, value) != null) {
                throw new UsageException("option --" + name + " is given more than once");
            }
        }
        if (words.isEmpty()) {
            throw new UsageException("missing command");
        }
        return new CommandLine(List.copyOf(words), Map.copyOf(options), false);
    }

    boolean help() {
        return help;
    }

    String command() {
        return words.get(0);
    }

    /** The sub-command, e.g. {@code create} of {@code keys create}. */
    String action(String choices) throws UsageException {
        if (words.size() < 2) {
            throw new UsageException("missing " + command() + " command: use " + choices);
        }
        return words.get(1);
    }

    /** The words after the command, e.g. the application of {@code stream APPLICATION}. */
    List<String> operands() {
        return words.subList(1, words.size());
    }

    /** Refuses the options that belong to another command. */
    void expectOptions(Set<String> allowed) throws UsageException {
        for (String name : options.keySet().stream().sorted().toList()) {
            if (!allowed.contains(name)) {
                throw new UsageException("option --" + name + " does not apply to '" + command() + "'");
            }
        }
    }

    /** The words after the sub-command. */
    List<String> arguments() {
        return words.size() <= 2 ? List.of() : words.subList(2, words.size());
    }

    void expectArguments(int count, String usage) throws UsageException {
        if (arguments().size() != count) {
            throw new UsageException((arguments().size() < count ? "missing" : "too many") + " arguments: usage: "
                    + usage);
        }
    }

    /** The option's value, or {@code null}. */
    String option(String name) {
        return options.get(name);
    }

    String required(String name, String message) throws UsageException {
        String value = options.get(name);
        if (value == null) {
            throw new UsageException(message);
        }
        return value;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    /** An unknown short option, without anything glued to it (that might be a value). */
    private static String name(String arg) {
        return arg.length() > 2 ? arg.substring(0, 2) + "..." : arg;
    }
}
