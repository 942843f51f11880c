package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A group member that leaves while others stay takes nothing with it: what it had been handed and had not written
 * goes to the group's other members (issue 12: groups lose no event).
 */
class GroupLeaversTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVENTS = 1_000;

    private static Event big(int n) {
        String json = "{\"n\":" + n + ",\"pad\":\"" + "x".repeat(16 * 1024) + "\"}";
        return Event.fromUtf8("pub", null, json.getBytes(StandardCharsets.UTF_8), "events-pub", 0, n);
    }

    private static int number(String frame) {
        try {
            return JSON.readTree(frame).path("n").asInt();
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + frame, e);
        }
    }

    @Test
    void whatAMemberThatLeftHadNotWrittenGoesToTheOthers() throws Exception {
        try (Bridge bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .queue(2_000, OverflowPolicy.CLOSE).build());
                TestClient reading = TestClient.connect(URI.create("ws://127.0.0.1:" + bridge.port()
                        + "/pub?group_id=g"))) {
            Socket stalled = TestClient.stalled(bridge.port(), "/pub?group_id=g");
            await().atMost(WAIT).until(() -> bridge.router().groupMembers("pub", bridgeGroup()) == 2);
            for (int n = 0; n < EVENTS; n++) {
                bridge.publish(big(n));
            }
            List<Integer> own = new ArrayList<>();
            for (String frame : reading.take(EVENTS / 2, WAIT)) {
                own.add(number(frame));
            }
            assertThat(reading.drain()).as("round-robin: half each").isEmpty();
            List<Integer> theirs = new ArrayList<>();
            for (int n = 0; n < EVENTS; n++) {
                if (!own.contains(n)) {
                    theirs.add(n);
                }
            }

            stalled.setSoLinger(true, 0);
            stalled.close(); // gone, with most of its share never written
            await().atMost(WAIT).until(() -> bridge.router().groupMembers("pub", bridgeGroup()) == 1);

            List<Integer> again = new ArrayList<>();
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < Duration.ofSeconds(2).toNanos()) {
                List<String> frames = reading.drain();
                frames.forEach(frame -> again.add(number(frame)));
                if (!frames.isEmpty()) {
                    quietSince = System.nanoTime();
                }
                Thread.sleep(50);
            }
            assertThat(again).as("the stalled member's share from the first event it had not written, in order")
                    .isNotEmpty().isEqualTo(theirs.subList(theirs.size() - again.size(), theirs.size()));
            assertThat(again.size()).as("a good part of its share: its connection's buffers held a few megabytes")
                    .isGreaterThan(theirs.size() / 4);
            Set<Integer> all = new HashSet<>(own);
            all.addAll(again);
            assertThat(all).as("nothing twice").hasSize(own.size() + again.size());
        }
    }

    private static GroupKey bridgeGroup() {
        return GroupKey.anonymous("g", null);
    }
}
