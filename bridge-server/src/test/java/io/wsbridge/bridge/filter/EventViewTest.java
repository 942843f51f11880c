package io.wsbridge.bridge.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cloudevents.SpecVersion;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
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
    void refusesWhatIsNotAJsonObject() {
        assertThatThrownBy(() -> EventView.of("[1]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the event is not a JSON object");
        assertThatThrownBy(() -> EventView.of("{\"id\":".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("the event is not valid JSON");
    }
}
