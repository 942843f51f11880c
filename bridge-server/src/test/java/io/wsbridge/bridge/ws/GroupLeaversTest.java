package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.Bridge;
import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
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

    /**
     * A client may get a write's frames and close before the write's completion is reported: the member's events
     * that were written go to nobody else, those queued behind them (or of a write that failed) do.
     */
    @Test
    void aWriteTheClientGotBeforeItsCompletionWasReportedIsNotDealtAgainButOneThatFailedIs() throws Exception {
        try (Bridge bridge = Bridge.start(BridgeSettings.builder("127.0.0.1", 0).publicApplications(Set.of("pub"))
                .build());
                TestClient reading = TestClient.connect(URI.create("ws://127.0.0.1:" + bridge.port()
                        + "/pub?group_id=g"))) {
            await().atMost(WAIT).until(() -> bridge.router().groupMembers("pub", bridgeGroup()) == 1);
            SubscriberTest.StalledSession written = new SubscriberTest.StalledSession();
            SubscriberTest.StalledSession failing = new SubscriberTest.StalledSession();
            Subscriber gotIt = member(bridge, written);
            Subscriber lostIt = member(bridge, failing);
            await().atMost(WAIT).until(() -> bridge.router().groupMembers("pub", bridgeGroup()) == 3);
            for (int n = 0; n < 30; n++) {
                bridge.publish(small(n));
            }
            List<Integer> own = numbers(reading.take(10, WAIT));
            assertThat(written.pending).as("one write in flight, the rest of its share queued").hasSize(1);
            assertThat(failing.pending).hasSize(1);
            int writtenFirst = number(written.frames.get(0));
            int failedFirst = number(failing.frames.get(0));

            gotIt.onClosed(new CloseStatus(CloseStatus.NORMAL, "bye"), Callback.NOOP);
            lostIt.onClosed(new CloseStatus(CloseStatus.SHUTDOWN, "gone"), Callback.NOOP);
            assertThat(reading.drain()).as("nothing dealt again while the writes are in flight").isEmpty();
            written.pending.get(0).succeeded();
            failing.pending.get(0).failed(new IOException("connection reset"));

            List<Integer> again = new ArrayList<>();
            await().atMost(WAIT).until(() -> {
                again.addAll(numbers(reading.drain()));
                return again.size() == 19;
            });
            assertThat(again).as("the leavers' shares but the event one of them wrote")
                    .doesNotContain(writtenFirst).contains(failedFirst);
            Set<Integer> all = new HashSet<>(own);
            all.addAll(again);
            assertThat(all).as("each of the 30 events once, but the one written to a leaver").hasSize(29)
                    .doesNotContain(writtenFirst);
        }
    }

    private static Subscriber member(Bridge bridge, SubscriberTest.StalledSession session) {
        Subscriber member = new Subscriber(bridge.server(), "pub", null, "g", Credentials.ANONYMOUS,
                AccessDecision.ANONYMOUS, "test");
        member.onOpen(session, Callback.NOOP);
        return member;
    }

    private static Event small(int n) {
        return Event.fromUtf8("pub", null, ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8), "events-pub", 0,
                n);
    }

    private static List<Integer> numbers(List<String> frames) {
        List<Integer> numbers = new ArrayList<>();
        frames.forEach(frame -> numbers.add(number(frame)));
        return numbers;
    }

    private static GroupKey bridgeGroup() {
        return GroupKey.anonymous("g", null);
    }
}
