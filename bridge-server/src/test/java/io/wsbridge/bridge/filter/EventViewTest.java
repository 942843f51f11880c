package io.wsbridge.bridge.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cloudevents.SpecVersion;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventAttributes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventViewTest {

    @Test
    void readsContextAttributesAndTypedExtensionsAndSkipsData() {
        EventView view = EventView.of(("{\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":\"drogue://acme/d\","
                + "\"type\":\"t\",\"subject\":\"s\",\"time\":\"2026-12-02T10:00:00Z\",\"datacontenttype\":"
                + "\"application/json\",\"data\":{\"device\":\"not-an-extension\"},\"device\":\"d-1\",\"count\":7,"
                + "\"big\":12345678901,\"ratio\":0.5,\"urgent\":false,\"nested\":{\"a\":1},\"none\":null}")
                .getBytes(StandardCharsets.UTF_8));

        assertThat(view.getSpecVersion()).isEqualTo(SpecVersion.V1);
        assertThat(view.getId()).isEqualTo("e-1");
        assertThat(view.getSource()).isEqualTo(URI.create("drogue://acme/d"));
        assertThat(view.getType()).isEqualTo("t");
        assertThat(view.getSubject()).isEqualTo("s");
        assertThat(view.getTime()).isEqualTo(OffsetDateTime.parse("2026-12-02T10:00:00Z"));
        assertThat(view.getDataContentType()).isEqualTo("application/json");
        assertThat(view.getAttribute("source")).isEqualTo("drogue://acme/d");
        assertThat(view.getData()).isNull();
        assertThat(view.getExtensionNames()).containsExactlyInAnyOrder("device", "count", "big", "ratio", "urgent");
        assertThat(view.getExtension("device")).isEqualTo("d-1");
        assertThat(view.getExtension("count")).isEqualTo(7);
        assertThat(view.getExtension("big")).isEqualTo("12345678901");
        assertThat(view.getExtension("urgent")).isEqualTo(false);
    }

    @Test
    void takesTheAttributesTheConnectorAttachedAndTheCursorAsReadingTheStampedFrameWould() {
        EventAttributes attributes = EventAttributes.ofUtf8(
                new String[] {"specversion", "id", "source", "type", "subject", "time", "device", "note"},
                new byte[][] {utf8("1.0"), utf8("e-1"), utf8("drogue://acme/d"), utf8("t"), utf8("s"),
                    utf8("2026-12-02T10:00:00Z"), utf8("d-\u00e9"), utf8("a \"quoted\"\nline")});
        Event event = Event.fromUtf8("acme", "s", utf8("{\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":"
                + "\"drogue://acme/d\",\"type\":\"t\",\"subject\":\"s\",\"time\":\"2026-12-02T10:00:00Z\","
                + "\"device\":\"d-\u00e9\",\"note\":\"a \\\"quoted\\\"\\nline\",\"data\":{\"x\":1}}"),
                "events", 0, 7, attributes).withCursor("c-1");

        EventView attached = EventView.of(event);
        EventView read = EventView.of(event.payload());

        assertThat(attached.getAttributeNames()).isEqualTo(read.getAttributeNames());
        assertThat(attached.getExtensionNames()).isEqualTo(read.getExtensionNames())
                .containsExactlyInAnyOrder("device", "note", Event.CURSOR_ATTRIBUTE);
        for (String name : List.of("specversion", "id", "source", "type", "subject", "time", "device", "note",
                Event.CURSOR_ATTRIBUTE, "missing")) {
            assertThat(attached.value(name)).as(name).isEqualTo(read.value(name));
            assertThat(attached.getAttribute(name)).as(name).isEqualTo(read.getAttribute(name));
            assertThat(attached.getExtension(name)).as(name).isEqualTo(read.getExtension(name));
        }
        assertThat(attached.value(Event.CURSOR_ATTRIBUTE)).isEqualTo("c-1");
        assertThat(attached.value("note")).isEqualTo("a \"quoted\"\nline");
        assertThat(attached.getTime()).isEqualTo(read.getTime());
        assertThat(attached.getSource()).isEqualTo(read.getSource());
    }

    @Test
    void anAttributeNamedLikeTheCursorWinsOverItAsTheLaterMemberOfTheFrame() {
        Event event = Event.fromUtf8("acme", null, utf8("{\"id\":\"e\",\"wsbridgecursor\":\"own\"}"), "events",
                0, 7, EventAttributes.ofUtf8(new String[] {"id", "wsbridgecursor"},
                        new byte[][] {utf8("e"), utf8("own")})).withCursor("c-1");

        assertThat(EventView.of(event.payload()).value(Event.CURSOR_ATTRIBUTE)).isEqualTo("own");
        assertThat(EventView.of(event).value(Event.CURSOR_ATTRIBUTE)).isEqualTo("own");
    }

    @Test
    void aMemberThatComesAgainInTheFrameReplacesTheEarlierOne() {
        EventView view = EventView.of(utf8("{\"device\":\"a\",\"id\":\"e\",\"device\":2}"));

        assertThat(view.value("device")).isEqualTo(2);
        assertThat(view.getExtensionNames()).containsExactly("device");
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void refusesWhatIsNotAJsonObject() {
        assertThatThrownBy(() -> EventView.of("[1]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the event is not a JSON object");
        assertThatThrownBy(() -> EventView.of("{\"id\":".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("the event is not valid JSON");
    }
}
