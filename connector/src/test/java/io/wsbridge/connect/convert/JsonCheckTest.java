package io.wsbridge.connect.convert;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
            assertThat(Payloads.isJson(bytes)).as(doc.toString()).isEqualTo(expected);
            if (expected) {
                json++;
            } else {
                notJson++;
            }
        }
        assertThat(json).as("well-formed documents among the mutations").isGreaterThan(10_000);
        assertThat(notJson).as("malformed documents among the mutations").isGreaterThan(10_000);
    }

    /**
     * {@link Payloads#isJson} checks UTF-8 in the same pass as the grammar: on documents with bytes of every kind put
     * in (malformed UTF-8 among them, in strings and outside), it says what a strict decoder and Jackson say together.
     */
    @Test
    void checksUtf8AndTheGrammarInOnePassAsTheTwoChecksWould() {
        Random random = new Random(5);
        String[] seeds = {"{\"s\":\"a longer string, so that words of eight are skipped whole\",\"n\":[1,2]}",
                "\"é € 😀 in a string of some length\"", "[\"x\",\"yy\",\"zzz\",\"wwww\"]"};
        int json = 0;
        int malformedUtf8 = 0;
        for (int round = 0; round < 100_000; round++) {
            byte[] seed = seeds[random.nextInt(seeds.length)].getBytes(StandardCharsets.UTF_8);
            byte[] bytes = Arrays.copyOf(seed, seed.length);
            for (int m = random.nextInt(3); m > 0; m--) {
                bytes[random.nextInt(bytes.length)] = (byte) (random.nextBoolean() ? 0x80 + random.nextInt(128)
                        : random.nextInt(128));
            }
            boolean utf8 = strictUtf8(bytes);
            boolean expected = utf8 && jackson(bytes);
            assertThat(Payloads.isJson(bytes)).as(Arrays.toString(bytes)).isEqualTo(expected);
            json += expected ? 1 : 0;
            malformedUtf8 += utf8 ? 0 : 1;
        }
        assertThat(json).as("well-formed documents").isGreaterThan(10_000);
        assertThat(malformedUtf8).as("documents with malformed UTF-8").isGreaterThan(10_000);
    }

    private static boolean strictUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
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
