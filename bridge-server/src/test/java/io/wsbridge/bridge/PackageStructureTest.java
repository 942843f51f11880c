package io.wsbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bridge's package structure, read from its sources: a package that depends on one that depends back on it, a
 * Kafka dependency in the bridge, or a qualified name written inline to avoid an import would each hide how the
 * packages depend on each other. A reference to a class in package Q from a class in package P is the edge P -> Q.
 */
class PackageStructureTest {

    static final String ROOT = "io.wsbridge.bridge";
    static final Path SOURCES = Path.of(System.getProperty("basedir", ""), "src", "main", "java");
    static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+(?:\\.\\*)?)\\s*;",
            Pattern.MULTILINE);
    /** Whichever starts first of a comment, a text block, a string or a character literal. */
    static final Pattern NOT_CODE = Pattern.compile("//[^\\n]*|/\\*.*?\\*/|\"\"\"[^\\\\]*?(?:\\\\.[^\\\\]*?)*?\"\"\""
            + "|\"[^\"\\\\\\n]*+(?:\\\\.[^\"\\\\\\n]*+)*+\"|'[^'\\\\\\n]*+(?:\\\\.[^'\\\\\\n]*+)*+'", Pattern.DOTALL);
    static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])(?:io\\.wsbridge|org\\.apache\\.kafka)(?:\\.\\w+)+");

    /** One place in the sources where {@code from} names {@code name}, inline or in an import. */
    record Reference(Path file, int line, String from, String name, boolean inline) {
        @Override
        public String toString() {
            return SOURCES.relativize(file) + ":" + line + " " + (inline ? "names " : "import ") + name;
        }
    }

    static final List<Reference> references = new ArrayList<>();
    /** The package graph: every package of the bridge, with one reference that creates each of its edges. */
    static final Map<String, Map<String, Reference>> graph = new TreeMap<>();

    @BeforeAll
    static void scan() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")).sorted().toList()) {
                read(file);
            }
        }
        for (Reference reference : references) {
            String target = packageOf(reference.name());
            if (isBridge(target) && !target.equals(reference.from())) {
                graph.get(reference.from()).putIfAbsent(target, reference);
            }
        }
    }

    static void read(Path file) throws IOException {
        String code = codeOnly(Files.readString(file));
        Matcher declared = PACKAGE.matcher(code);
        String from = declared.find() ? declared.group(1) : "";
        graph.computeIfAbsent(from, key -> new TreeMap<>());
        Matcher imports = IMPORT.matcher(code);
        while (imports.find()) {
            references.add(new Reference(file, lineOf(code, imports.start(1)), from, imports.group(1), false));
        }
        String body = IMPORT.matcher(PACKAGE.matcher(code).replaceAll(PackageStructureTest::blank))
                .replaceAll(PackageStructureTest::blank);
        Matcher inline = QUALIFIED.matcher(body);
        while (inline.find()) {
            references.add(new Reference(file, lineOf(body, inline.start()), from, inline.group(), true));
        }
    }

    /** The source with comments and string, text block and character literals blanked out, lines kept in place. */
    static String codeOnly(String source) {
        return NOT_CODE.matcher(source).replaceAll(PackageStructureTest::blank);
    }

    static String blank(MatchResult match) {
        return match.group().replaceAll("[^\n]", " ");
    }

    static int lineOf(String text, int index) {
        return (int) text.substring(0, index).chars().filter(c -> c == '\n').count() + 1;
    }

    /** The package of a qualified name: the segments before the first capitalised one (a class) or a {@code *}. */
    static String packageOf(String name) {
        List<String> segments = new ArrayList<>();
        for (String segment : name.split("\\.")) {
            if (segment.equals("*") || Character.isUpperCase(segment.charAt(0))) {
                break;
            }
            segments.add(segment);
        }
        return String.join(".", segments);
    }

    static boolean isBridge(String packageName) {
        return packageName.equals(ROOT) || packageName.startsWith(ROOT + ".");
    }

    /** The strongly connected components of more than one node (Tarjan), each sorted, in order of their first node. */
    static <V> List<Set<String>> cycles(Map<String, Map<String, V>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<Set<String>> cycles = new ArrayList<>();
        for (String node : new TreeSet<>(graph.keySet())) {
            if (!index.containsKey(node)) {
                connect(node, graph, index, low, stack, cycles);
            }
        }
        cycles.sort((a, b) -> a.iterator().next().compareTo(b.iterator().next()));
        return cycles;
    }

    private static <V> void connect(String node, Map<String, Map<String, V>> graph, Map<String, Integer> index,
            Map<String, Integer> low, Deque<String> stack, List<Set<String>> cycles) {
        index.put(node, index.size());
        low.put(node, index.get(node));
        stack.push(node);
        for (String next : graph.getOrDefault(node, new TreeMap<>()).keySet()) {
            if (!index.containsKey(next)) {
                connect(next, graph, index, low, stack, cycles);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (stack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            Set<String> component = new TreeSet<>();
            String member;
            do {
                member = stack.pop();
                component.add(member);
            } while (!member.equals(node));
            if (component.size() > 1) {
                cycles.add(component);
            }
        }
    }

    @Test
    void theScanFindsTheBridgesPackagesAndTheirDependencies() {
        assertThat(graph.keySet()).as("packages under %s", SOURCES.toAbsolutePath()).hasSizeGreaterThanOrEqualTo(8)
                .allMatch(PackageStructureTest::isBridge).contains(ROOT, ROOT + ".ws", ROOT + ".auth.keycloak");
        assertThat(graph.values().stream().mapToInt(Map::size).sum()).as("package dependencies").isGreaterThan(8);
    }

    @Test
    void theCycleFinderFindsACycleAndPassesAnAcyclicGraph() {
        Map<String, Map<String, String>> cyclic = Map.of("a", Map.of("b", ""), "b", Map.of("c", ""),
                "c", Map.of("a", "", "d", ""), "d", Map.of(), "e", Map.of("e", ""));
        Map<String, Map<String, String>> acyclic = Map.of("a", Map.of("b", "", "c", ""), "b", Map.of("c", ""),
                "c", Map.of());

        assertThat(cycles(cyclic)).containsExactly(Set.of("a", "b", "c"));
        assertThat(cycles(acyclic)).isEmpty();
    }

    @Test
    void commentsAndLiteralsAreBlankedWithoutMovingLines() {
        String source = "a(\"x.\\\"y\", '\"') /* b\n c */ d // e\nf";

        assertThat(codeOnly(source)).isEqualTo("a(" + " ".repeat(7) + ", " + " ".repeat(3) + ") " + " ".repeat(4) + "\n"
                + " ".repeat(5) + " d " + " ".repeat(4) + "\nf");
    }

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        String report = cycles(graph).stream().map(cycle -> "cycle among " + cycle + ":" + cycle.stream()
                .flatMap(from -> graph.get(from).entrySet().stream().filter(edge -> cycle.contains(edge.getKey()))
                        .map(edge -> "\n  " + from + " -> " + edge.getKey() + " (" + edge.getValue() + ")"))
                .collect(Collectors.joining())).collect(Collectors.joining("\n"));

        assertThat(report).as("package cycles; depend on a narrow interface instead").isEmpty();
    }

    /** A class grows past about 300 lines only with a reason at its top: its javadoc says "Over 300 lines because". */
    @Test
    void aClassOverThreeHundredLinesSaysWhyAtItsTop() throws IOException {
        List<String> unexplained = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")).sorted().toList()) {
                String text = Files.readString(file);
                long lines = text.lines().count();
                if (lines > 300 && !text.contains("Over 300 lines because")) {
                    unexplained.add(SOURCES.relativize(file) + " (" + lines + " lines)");
                }
            }
        }
        assertThat(unexplained).as("classes over 300 lines without a reason at their top").isEmpty();
    }

    @Test
    void theBridgeKnowsNothingOfKafka() {
        assertThat(references).filteredOn(reference -> reference.name().startsWith("org.apache.kafka"))
                .as("references to Kafka").isEmpty();
    }

    @Test
    void classesAreImportedNotNamedInline() {
        assertThat(references)
                .filteredOn(reference -> reference.inline() && reference.name().startsWith("io.wsbridge."))
                .as("inline qualified names; import them instead").isEmpty();
    }
}
