package io.wsbridge.bridge.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EventTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Event positioned(String json) {
        return Event.fromUtf8("app", null, json.getBytes(StandardCharsets.UTF_8), "events-app", 2, 41);
    }

    @Test
    void theCursorBecomesTheFirstMemberOfTheFrameAndTheBodyStaysAsItWas() throws Exception {
        Event event = positioned("{\"specversion\":\"1.0\",\"id\":\"x\",\"data\":{\"a\":1}}");

        Event stamped = event.withCursor("AQID-_x");

        assertThat(stamped.text()).isEqualTo(
                "{\"wsbridgecursor\":\"AQID-_x\",\"specversion\":\"1.0\",\"id\":\"x\",\"data\":{\"a\":1}}");
        JsonNode parsed = JSON.readTree(stamped.text());
        assertThat(parsed.path("wsbridgecursor").asText()).isEqualTo("AQID-_x");
        assertThat(parsed.path("data").path("a").asInt()).isEqualTo(1);
        assertThat(StandardCharsets.UTF_8.decode(stamped.body()).toString()).isEqualTo(event.text());
        assertThat(stamped.bodySize()).isEqualTo(event.size());
        assertThat(stamped.size()).isEqualTo(stamped.text().getBytes(StandardCharsets.UTF_8).length);
        assertThat(stamped.publishedNanos()).isEqualTo(event.publishedNanos());
        assertThat(stamped.topic()).isEqualTo("events-app");
        assertThat(stamped.partition()).isEqualTo(2);
        assertThat(stamped.offset()).isEqualTo(41);
    }

    @Test
    void stampingAgainReplacesTheCursorRatherThanAddingASecond() {
        Event stamped = positioned("{\"id\":\"x\"}").withCursor("one").withCursor("two");

        assertThat(stamped.text()).isEqualTo("{\"wsbridgecursor\":\"two\",\"id\":\"x\"}");
    }

    @Test
    void anEmptyObjectGetsTheCursorAsItsOnlyMember() {
        assertThat(positioned("{ }").withCursor("c").text()).isEqualTo("{\"wsbridgecursor\":\"c\" }");
    }

    @Test
    void aDirectWriteCopiesTheSameFrameAsTheOneArrayWithoutMakingIt() throws Exception {
        for (String json : new String[] {"{\"id\":\"x\",\"data\":\"é\"}", "{ }", "{}", "{\n \"a\":1}", "[1]"}) {
            Event stamped = positioned(json).withCursor("AQID-_x".getBytes(StandardCharsets.US_ASCII));
            ByteBuffer direct = ByteBuffer.allocate(stamped.size() + 3);
            direct.put(new byte[] {1, 2, 3}); // a write copies into a buffer that holds other frames before it

            stamped.copyFrameTo(direct);

            assertThat(direct.remaining()).as(json).isZero();
            byte[] copied = Arrays.copyOfRange(direct.array(), 3, direct.capacity());
            ByteBuffer payload = stamped.payload(); // the one array, made now, after the direct copy
            byte[] whole = new byte[payload.remaining()];
            payload.get(whole);
            assertThat(new String(copied, StandardCharsets.UTF_8)).as(json).isEqualTo(stamped.text());
            assertThat(whole).as(json).isEqualTo(copied);
            assertThat(stamped.size()).as(json).isEqualTo(copied.length);
            JsonNode frame = JSON.readTree(copied);
            if (json.startsWith("{")) {
                assertThat(frame.fieldNames().next()).as(json).isEqualTo("wsbridgecursor");
                assertThat(frame.path("wsbridgecursor").asText()).isEqualTo("AQID-_x");
                ((ObjectNode) frame).remove("wsbridgecursor");
            }
            assertThat(frame).as(json).isEqualTo(JSON.readTree(json));
        }
        assertThat(positioned("{}").withCursor("c".getBytes(StandardCharsets.US_ASCII)).cursor()).isEqualTo("c");
        assertThat(positioned("{}").cursor()).isNull();
    }

    @Test
    void aFrameThatIsNoJsonObjectIsLeftAlone() {
        assertThat(positioned("[1]").withCursor("c").text()).isEqualTo("[1]");
    }

    @Test
    void aPositionNeedsAPartitionAndAnOffsetOfAtLeastZero() {
        assertThatThrownBy(() -> Event.fromUtf8("app", null, new byte[] {'{', '}'}, "t", -1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a position needs a partition and an offset of at least 0, was -1/0");
        assertThat(new Event("app", null, "{}").hasPosition()).isFalse();
    }
}
