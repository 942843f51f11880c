package io.wsbridge.connect.convert;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link JsonCheck} against Jackson's parser with its default features, which the SDK reads JSON data with. */
class JsonCheckTest {

    private static final JsonFactory JACKSON = new JsonFactory();

    @Test
    void agreesWithJacksonOnMutatedDocuments() {
        Random random = new Random(99);
        String[] seeds = {"{\"a\":[1,-2.5e10,{\"b\":null,\"c\":true,\"d\":false}],\"s\":\"x\\u00e9\\n\\\"\"}",
                " [ 0 , -0.0 , 1E+2 , 3e-1 , \"\" , {} , [] ] ", "\"just a string\"", "123", "{\"k\" : {\"k\" : []}}"};
        String alphabet = "{}[]\":,.-+eE0123456789 \t\n\rtruefalsn\\/u\u0001aAé";
        int json = 0;
        int notJson = 0;
        for (int round = 0; round < 100_000; round++) {
            StringBuilder doc = new StringBuilder(seeds[random.nextInt(seeds.length)]);
            int mutations = random.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                int at = random.nextInt(doc.length() + 1);
                switch (random.nextInt(3)) {
                    case 0 -> doc.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 1 -> {
                        if (at < doc.length()) {
                            doc.deleteCharAt(at);
                        }
                    }
                    default -> {
                        if (at < doc.length()) {
                            doc.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                        }
                    }
                }
            }
            byte[] bytes = doc.toString().getBytes(StandardCharsets.UTF_8);
            boolean expected = jackson(bytes);
            assertThat(Payloads.isWellFormedJson(bytes)).as(doc.toString()).isEqualTo(expected);
            if (expected) {
                json++;
            } else {
                notJson++;
            }
        }
        assertThat(json).as("well-formed documents among the mutations").isGreaterThan(10_000);
        assertThat(notJson).as("malformed documents among the mutations").isGreaterThan(10_000);
    }

    @Test
    void refusesNestingDeeperThanJacksonDoes() {
        String ok = "[".repeat(JsonCheck.MAX_DEPTH) + "]".repeat(JsonCheck.MAX_DEPTH);
        String tooDeep = "[".repeat(JsonCheck.MAX_DEPTH + 1) + "]".repeat(JsonCheck.MAX_DEPTH + 1);
        assertThat(Payloads.isWellFormedJson(utf8(ok))).isEqualTo(jackson(utf8(ok))).isTrue();
        assertThat(Payloads.isWellFormedJson(utf8(tooDeep))).isEqualTo(jackson(utf8(tooDeep))).isFalse();
        String objects = "{\"a\":".repeat(JsonCheck.MAX_DEPTH + 1) + "1" + "}".repeat(JsonCheck.MAX_DEPTH + 1);
        assertThat(Payloads.isWellFormedJson(utf8(objects))).isEqualTo(jackson(utf8(objects))).isFalse();
    }

    /** What the converter used before it had a scanner of its own: exactly one value, per Jackson. */
    private static boolean jackson(byte[] utf8) {
        try (JsonParser parser = JACKSON.createParser(utf8)) {
            if (parser.nextToken() == null) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
