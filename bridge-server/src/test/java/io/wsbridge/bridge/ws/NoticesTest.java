package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.resume.Gap;
import io.wsbridge.bridge.resume.PartitionId;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class NoticesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRetentionGapSaysWhichPartitionsLostHowManyAndWhichAreGone() throws Exception {
        Gap gap = new Gap(new TreeMap<>(Map.of(new PartitionId("t", 0), 9L, new PartitionId("t", 2), 3L)),
                new TreeSet<>(Set.of(new PartitionId("old", 1))));

        JsonNode notice = JSON.readTree(Notices.retentionGap("app", gap).text());

        assertThat(notice.path("specversion").asText()).isEqualTo("1.0");
        assertThat(notice.path("type").asText()).isEqualTo("io.wsbridge.gap");
        assertThat(notice.path("source").asText()).isEqualTo("/wsbridge");
        assertThat(notice.path("subject").asText()).isEqualTo("app");
        assertThat(notice.has("wsbridgecursor")).as("a notice is no position").isFalse();
        assertThat(notice.path("data").toString()).isEqualTo("{\"reason\":\"retention\",\"lost\":12,\"partitions\":["
                + "{\"topic\":\"t\",\"partition\":0,\"lost\":9},{\"topic\":\"t\",\"partition\":2,\"lost\":3},"
                + "{\"topic\":\"old\",\"partition\":1,\"lost\":null,\"gone\":true}]}");
    }

    @Test
    void anOverflowGapSaysHowManyWereDropped() throws Exception {
        JsonNode notice = JSON.readTree(Notices.overflowGap("app", 5).text());

        assertThat(notice.path("type").asText()).isEqualTo("io.wsbridge.gap");
        assertThat(notice.path("data").toString()).isEqualTo("{\"reason\":\"overflow\",\"dropped\":5}");
    }
}
