package io.wsbridge.connect.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class TransformsTest {

    private static SinkRecord record(String... headers) {
        ConnectHeaders connectHeaders = new ConnectHeaders();
        for (String header : headers) {
            connectHeaders.addBytes(header, "1".getBytes(StandardCharsets.UTF_8));
        }
        return new SinkRecord("events-app", 0, Schema.OPTIONAL_BYTES_SCHEMA, null, Schema.OPTIONAL_BYTES_SCHEMA,
                "{}".getBytes(StandardCharsets.UTF_8), 7, 1L, null, connectHeaders);
    }

    private static Map<String, String> filterAndInsert(boolean negate) {
        Map<String, String> config = new HashMap<>();
        config.put("transforms", " skip , region");
        config.put("transforms.skip.type", "org.apache.kafka.connect.transforms.Filter");
        config.put("transforms.skip.predicate", "marked");
        config.put("transforms.skip.negate", Boolean.toString(negate));
        config.put("transforms.region.type", "org.apache.kafka.connect.transforms.InsertHeader");
        config.put("transforms.region.header", "ce_region");
        config.put("transforms.region.value.literal", "eu");
        config.put("predicates", "marked");
        config.put("predicates.marked.type", "org.apache.kafka.connect.transforms.predicates.HasHeaderKey");
        config.put("predicates.marked.name", "skip");
        return config;
    }

    @Test
    void theChainDropsAndChangesRecordsAsConnectWould() {
        try (Transforms transforms = new Transforms.Factory(filterAndInsert(false)).create()) {
            assertThat(transforms.apply(record("skip"))).as("the predicate matches: filtered out").isNull();
            SinkRecord kept = transforms.apply(record("other"));
            assertThat(kept).isNotNull();
            assertThat(kept.headers().lastWithName("ce_region").value()).isEqualTo("eu");
            assertThat(kept.originalKafkaOffset()).as("the position is the record's own").isEqualTo(7);
        }
        try (Transforms negated = new Transforms.Factory(filterAndInsert(true)).create()) {
            assertThat(negated.apply(record("other"))).as("negate: what does not match is dropped").isNull();
            assertThat(negated.apply(record("skip"))).isNotNull();
        }
    }

    @Test
    void noTransformsLetsRecordsThrough() {
        SinkRecord record = record();
        try (Transforms none = Transforms.Factory.none().create()) {
            assertThat(none.isEmpty()).isTrue();
            assertThat(none.apply(record)).isSameAs(record);
        }
    }

    @Test
    void aTransformationThatCannotBeSetUpIsReportedWithItsName() {
        Map<String, String> missing = filterAndInsert(false);
        missing.put("transforms.region.type", "com.example.NoSuchTransformation");
        assertThatThrownBy(() -> new Transforms.Factory(missing)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("transformation 'region' cannot be loaded on this worker for replays");

        Map<String, String> notOne = filterAndInsert(false);
        notOne.put("predicates.marked.type", "java.lang.String");
        assertThatThrownBy(() -> new Transforms.Factory(notOne)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("predicate 'marked' is not a Predicate");

        Map<String, String> noType = filterAndInsert(false);
        noType.remove("transforms.skip.type");
        assertThatThrownBy(() -> new Transforms.Factory(noType)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("transformation 'skip' has no type");

        Map<String, String> badSetting = filterAndInsert(false);
        badSetting.remove("transforms.region.header");
        assertThatThrownBy(() -> new Transforms.Factory(badSetting)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("header");
    }
}
