package io.wsbridge.bridge.cli;

import static io.wsbridge.bridge.cli.EventPrinter.KEY;
import static io.wsbridge.bridge.cli.EventPrinter.LITERAL;
import static io.wsbridge.bridge.cli.EventPrinter.NULL;
import static io.wsbridge.bridge.cli.EventPrinter.NUMBER;
import static io.wsbridge.bridge.cli.EventPrinter.RESET;
import static io.wsbridge.bridge.cli.EventPrinter.STRING;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventPrinterTest {

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final PrintStream stream = new PrintStream(out, true, StandardCharsets.UTF_8);

    static String format(String json) {
        return new EventPrinter.Formatter(json, false).format();
    }

    @Test
    void compactPrintsTheTextAsReceivedOnOneLine() {
        String event = "{ \"a\" : 1.50e0, \"b\":\"\\u00e9\" }";

        assertThat(EventPrinter.compact(stream).print(event)).isTrue();

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(event + System.lineSeparator());
    }

    @Test
    void prettyIndentsTwoSpacesAndKeepsStringsAndNumbersAsWritten() {
        assertThat(format("{\"a\":1.50e0,\"s\":\"x \\\" \\\\ y\",\"o\":{},\"l\":[],\"n\":[null,false,-2]}"))
                .isEqualTo(String.join("\n", "{", "  \"a\": 1.50e0,", "  \"s\": \"x \\\" \\\\ y\",", "  \"o\": {},",
                        "  \"l\": [],", "  \"n\": [", "    null,", "    false,", "    -2", "  ]", "}"));
        assertThat(format(" \"text\" ")).isEqualTo("\"text\"");
    }

    @Test
    void coloursKeysStringsNumbersAndLiterals() {
        String formatted = new EventPrinter.Formatter("{\"k\":[\"s\",1,true,null]}", true).format();

        assertThat(formatted).isEqualTo("{\n  " + KEY + "\"k\"" + RESET + ": [\n    " + STRING + "\"s\"" + RESET
                + ",\n    " + NUMBER + "1" + RESET + ",\n    " + LITERAL + "true" + RESET + ",\n    " + NULL + "null"
                + RESET + "\n  ]\n}");
    }

    @Test
    void textThatIsNotJsonIsPrintedAsItIs() {
        assertThat(format("{\"a\":1")).isNull();
        assertThat(format("{\"a\":1} trailing")).isNull();
        assertThat(format("hello")).isNull();

        EventPrinter.pretty(stream, true).print("not json {");

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("not json {" + System.lineSeparator());
    }

    @Test
    void aClosedOutputIsReported() {
        stream.close();
        PrintStream closed = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        }, true, StandardCharsets.UTF_8);

        assertThat(EventPrinter.compact(closed).print("{}")).isFalse();
    }
}
