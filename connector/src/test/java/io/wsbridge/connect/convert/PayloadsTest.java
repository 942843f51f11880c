package io.wsbridge.connect.convert;

import io.cloudevents.jackson.JsonFormat;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class PayloadsTest {

    @Test
    void acceptsWellFormedUtf8() {
        assertThat(Payloads.isUtf8(new byte[0])).isTrue();
        assertThat(Payloads.isUtf8(utf8("plain ASCII"))).isTrue();
        assertThat(Payloads.isUtf8(utf8("é € 😀 \uFFFD"))).isTrue();
        assertThat(Payloads.isUtf8(bytes(0xF4, 0x8F, 0xBF, 0xBF))).isTrue();
    }

    @Test
    void rejectsMalformedUtf8() {
        assertThat(Payloads.isUtf8(bytes(0xFF))).as("invalid lead byte").isFalse();
        assertThat(Payloads.isUtf8(bytes(0x80))).as("lone continuation").isFalse();
        assertThat(Payloads.isUtf8(bytes(0xC0, 0x80))).as("overlong NUL").isFalse();
        assertThat(Payloads.isUtf8(bytes(0xE0, 0x80, 0xAF))).as("overlong slash").isFalse();
        assertThat(Payloads.isUtf8(bytes(0xED, 0xA0, 0x80))).as("surrogate").isFalse();
        assertThat(Payloads.isUtf8(bytes(0xF4, 0x90, 0x80, 0x80))).as("above U+10FFFF").isFalse();
        assertThat(Payloads.isUtf8(bytes(0x61, 0xE2, 0x82))).as("truncated").isFalse();
        assertThat(Payloads.isUtf8(bytes(0xE2, 0x28, 0xA1))).as("bad continuation").isFalse();
    }

    @Test
    void recognizesExactlyOneJsonValue() {
        for (String json : new String[] {"{}", " {\"a\":[1,2,{\"b\":null}]}\n", "\"text\"", "42", "true", "[]"}) {
            assertThat(Payloads.isJson(utf8(json))).as(json).isTrue();
        }
        for (String notJson : new String[] {"", " ", "1 2", "{} {}", "{\"a\":1", "{'a':1}", "NaN", "01",
                "hello", "{\"a\":1} x", "\"bad \\x escape\"", "\"tab\there\"", "// comment\n{}"}) {
            assertThat(Payloads.isJson(utf8(notJson))).as(notJson).isFalse();
        }
        assertThat(Payloads.isJson(bytes(0xEF, 0xBB, 0xBF, '{', '}'))).as("byte order mark").isFalse();
        assertThat(Payloads.isJson(bytes('"', 0xC0, 0x80, '"'))).as("malformed UTF-8").isFalse();
    }

    @Test
    void predictsWhichContentTypesTheSdkSerializerEmbedsAsJson() throws Exception {
        Method sdk = JsonFormat.class.getDeclaredMethod("dataIsJsonContentType", String.class);
        sdk.setAccessible(true);
        String[] contentTypes = {null, "application/json", "text/json", "application/json; charset=utf-8",
                "application/json;", "application/cloudevents+json", "application/vnd+json", "text/x+json",
                "application/vnd.drogue.v1+json", "application/vnd-x+json", "application/+json", "Application/JSON",
                "application/json ", " application/json", "application/jsonx", "application/xjson", "text/plain",
                "application/octet-stream", "image/json", "application/ld+json;profile=x", ""};

        for (String contentType : contentTypes) {
            assertThat(Payloads.serializerEmbedsAsJson(contentType)).as(String.valueOf(contentType))
                    .isEqualTo(sdk.invoke(null, contentType));
        }
    }

    @Test
    void classifiesMediaTypes() {
        assertThat(Payloads.isJsonMediaType("Application/JSON; charset=UTF-8")).isTrue();
        assertThat(Payloads.isJsonMediaType("application/vnd.drogue.v1+json")).isTrue();
        assertThat(Payloads.isJsonMediaType("application/octet-stream")).isFalse();
        assertThat(Payloads.isJsonMediaType(null)).isFalse();
        assertThat(Payloads.isTextMediaType("text/plain")).isTrue();
        assertThat(Payloads.isTextMediaType("TEXT/CSV")).isTrue();
        assertThat(Payloads.isTextMediaType("application/xml")).isTrue();
        assertThat(Payloads.isTextMediaType("application/atom+xml")).isTrue();
        assertThat(Payloads.isTextMediaType("application/x-custom; charset=utf-8")).isTrue();
        assertThat(Payloads.isTextMediaType("application/octet-stream")).isFalse();
        assertThat(Payloads.isTextMediaType(null)).isFalse();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }
}
