package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.WriteBatch;
import io.wsbridge.bridge.bus.Writers;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WriteBatchTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    Bridge bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
    }

    @Test
    void deferredWritesRunWhenTheBatchEndsAndNestedBatchesJoinTheOuterOne() {
        List<String> ran = new ArrayList<>();
        assertThat(WriteBatch.active()).isFalse();
        assertThat(WriteBatch.defer(() -> ran.add("outside"))).isFalse();

        WriteBatch.run(() -> {
            assertThat(WriteBatch.active()).isTrue();
            assertThat(WriteBatch.defer(() -> ran.add("first"))).isTrue();
            WriteBatch.run(() -> WriteBatch.defer(() -> ran.add("nested")));
            assertThat(ran).isEmpty();
        });

        assertThat(ran).containsExactly("first", "nested");
        assertThat(WriteBatch.active()).isFalse();
    }

    @Test
    void subscriberWritesABatchOnceItIsFullAndTheRestWhenTheBatchEnds() throws Exception {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub")).build());
        try (TestClient client = TestClient.connect(URI.create("ws://127.0.0.1:" + bridge.port() + "/pub"))) {
            await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == 1);
            ClientSubscriber subscriber = bridge.server().subscribers().iterator().next();

            WriteBatch.run(() -> {
                publish(0, 10);
                assertThat(subscriber.sent()).isZero();
                publish(10, 64);
                assertThat(subscriber.sent()).isEqualTo(64);
                publish(64, 100);
                assertThat(subscriber.sent()).isEqualTo(64);
            });
            assertThat(subscriber.sent()).isEqualTo(100);
            assertThat(client.take(100, WAIT)).isEqualTo(numbered(0, 100));

            // outside a batch, each event is written at once
            publish(100, 101);
            assertThat(subscriber.sent()).isEqualTo(101);
            assertThat(client.take(1, WAIT)).isEqualTo(numbered(100, 101));
        }
    }

    @Test
    void aWideFanOutSharesItsWritesWithTheWriteThreadsAndEverySubscriberGetsItsEventsInOrder() throws Exception {
        bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .writeThreads(2).build());
        int subscribers = Writers.SPREAD_AT * 2;
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < subscribers; i++) {
                clients.add(TestClient.connect(URI.create("ws://127.0.0.1:" + bridge.port() + "/pub")));
            }
            await().atMost(WAIT).until(() -> bridge.router().subscribers("pub") == subscribers);
            assertThat(writerThreads()).isEmpty();

            for (int round = 0; round < 3; round++) {
                int from = round * 5;
                WriteBatch.run(() -> publish(from, from + 5), bridge.writers());
            }

            for (TestClient client : clients) {
                assertThat(client.take(15, WAIT)).isEqualTo(numbered(0, 15));
            }
            assertThat(writerThreads()).as("the write threads took part").isNotEmpty();
            assertThat(bridge.writers().writesOnThreads()).as("this bridge's write threads wrote").isPositive();
        } finally {
            clients.forEach(TestClient::close);
        }
    }

    /** The bridge's write threads (named after the configured port, here 0). */
    private static List<String> writerThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.matches("wsbridge-\\d+-writer-\\d+")).toList();
    }

    private void publish(int from, int to) {
        for (int i = from; i < to; i++) {
            bridge.publish(new Event("pub", null, "{\"n\":" + i + "}"));
        }
    }

    private static List<String> numbered(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "{\"n\":" + i + "}").toList();
    }
}
