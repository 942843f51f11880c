package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InterestCodecTest {

    static final int MAX = PeerProtocol.INTEREST_CHUNK_BYTES;

    /**
     * A name of the longest length allowed, of backslashes but for a prefix: JSON escapes each, so it takes twice its
     * length in a message (a name of 3-byte characters takes more bytes, but as many characters as it has).
     */
    static String longName(char first, int n) {
        return first + String.valueOf(n) + "\\".repeat(InterestCodec.MAX_NAME_LENGTH - 1 - String.valueOf(n).length());
    }

    static Map<InterestEntry, Integer> manyLongGroups(int count) {
        Map<InterestEntry, Integer> entries = new HashMap<>();
        for (int i = 0; i < count; i++) {
            entries.put(InterestEntry.group(longName('a', i % 3), new GroupKey(longName('p', i), longName('g', i),
                    longName('c', i))), 1 + i % 4);
        }
        return entries;
    }

    static Map<InterestEntry, Integer> decodeSnapshot(List<String> messages) {
        Map<InterestEntry, Integer> all = new HashMap<>();
        for (String message : messages) {
            all.putAll(((InterestCodec.Snapshot) InterestCodec.decode(message)).entries());
        }
        return all;
    }

    @Test
    void snapshotSurvivesTheRoundTripWithEveryKindOfEntry() {
        Map<InterestEntry, Integer> entries = Map.of(
                InterestEntry.all("a"), 1,
                InterestEntry.channel("b", "door"), 1,
                InterestEntry.channel("b", "win/dow"), 1,
                InterestEntry.group("a", GroupKey.anonymous("g", null)), 2,
                InterestEntry.group("a", new GroupKey("alice", "g", null)), 1,
                InterestEntry.group("b", new GroupKey("bob", "g", "door")), 4,
                InterestEntry.group("c", new GroupKey("anonymous", "only", null)), 1,
                InterestEntry.group("c", new GroupKey("alice", "only", null, "subject = 'alarm'")), 3,
                InterestEntry.group("c", new GroupKey(null, "only", "door", "device IN ('a', \"b\")")), 1);

        List<String> messages = InterestCodec.snapshot(entries, 0, MAX);

        assertThat(messages).hasSize(1);
        assertThat(InterestCodec.decode(messages.get(0)))
                .isEqualTo(new InterestCodec.Snapshot(0, 0, true, entries));
    }

    @Test
    void encodingIsCompactAndStable() {
        Map<InterestEntry, Integer> entries = Map.of(InterestEntry.all("app"), 1,
                InterestEntry.group("app", GroupKey.anonymous("billing", null)), 2,
                InterestEntry.group("app", new GroupKey("alice", "billing", "door")), 1);

        assertThat(InterestCodec.snapshot(entries, 7, MAX)).containsExactly("{\"v\":2,\"type\":\"snapshot\",\"seq\":7,"
                + "\"part\":0,\"last\":true,\"entries\":["
                + "{\"application\":\"app\",\"group\":\"billing\",\"members\":2},"
                + "{\"application\":\"app\",\"group\":\"billing\",\"principal\":\"alice\",\"channel\":\"door\","
                + "\"members\":1},{\"application\":\"app\"}]}");
        assertThat(InterestCodec.snapshot(Map.of(), 0, MAX))
                .containsExactly("{\"v\":2,\"type\":\"snapshot\",\"seq\":0,\"part\":0,\"last\":true,\"entries\":[]}");
        assertThat(InterestCodec.delta(Map.of(InterestEntry.group("app", GroupKey.anonymous("g", null)), 3),
                Set.of(InterestEntry.channel("app", "door")), 8, MAX))
                .containsExactly("{\"v\":2,\"type\":\"delta\",\"seq\":8,\"set\":[{\"application\":\"app\","
                        + "\"group\":\"g\",\"members\":3}],"
                        + "\"remove\":[{\"application\":\"app\",\"channel\":\"door\"}]}");
        assertThat(InterestCodec.resync("gap")).isEqualTo("{\"v\":2,\"type\":\"resync\",\"reason\":\"gap\"}");
    }

    @Test
    void aLargeSnapshotIsSplitIntoNumberedPartsThatEachFitTheLimit() {
        Map<InterestEntry, Integer> entries = manyLongGroups(2_000);

        List<String> messages = InterestCodec.snapshot(entries, 5, MAX);

        int total = messages.stream().mapToInt(m -> m.getBytes(StandardCharsets.UTF_8).length).sum();
        assertThat(total).as("all parts together").isGreaterThan(3 * 1024 * 1024);
        assertThat(messages).hasSizeGreaterThan(total / MAX)
                .allSatisfy(m -> assertThat(m.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(MAX));
        for (int i = 0; i < messages.size(); i++) {
            InterestCodec.Snapshot part = (InterestCodec.Snapshot) InterestCodec.decode(messages.get(i));
            assertThat(part.seq()).isEqualTo(5 + i);
            assertThat(part.part()).isEqualTo(i);
            assertThat(part.last()).isEqualTo(i == messages.size() - 1);
        }
        assertThat(decodeSnapshot(messages)).isEqualTo(entries);
    }

    @Test
    void aLargeDeltaIsSplitTooAndKeepsItsSetsAndRemovals() {
        Map<InterestEntry, Integer> set = manyLongGroups(300);
        Map<InterestEntry, Integer> gone = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            gone.put(InterestEntry.channel(longName('a', 0), longName('x', i)), 1);
        }

        List<String> messages = InterestCodec.delta(set, gone.keySet(), 40, MAX);

        assertThat(messages).hasSizeGreaterThan(1)
                .allSatisfy(m -> assertThat(m.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(MAX));
        Map<InterestEntry, Integer> decodedSet = new HashMap<>();
        Map<InterestEntry, Integer> decodedGone = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            InterestCodec.Delta delta = (InterestCodec.Delta) InterestCodec.decode(messages.get(i));
            assertThat(delta.seq()).isEqualTo(40 + i);
            decodedSet.putAll(delta.set());
            delta.remove().forEach(entry -> decodedGone.put(entry, 1));
        }
        assertThat(decodedSet).isEqualTo(set);
        assertThat(decodedGone).isEqualTo(gone);
        assertThat(InterestCodec.delta(Map.of(), Set.of(), 3, MAX)).as("no change, no message").isEmpty();
    }

    @Test
    void aFilterIsPartOfAGroupEntryOnlyAndBounded() {
        assertThat(InterestCodec.problem(InterestEntry.group("app", new GroupKey(null, "g", null,
                "x".repeat(InterestCodec.MAX_FILTER_LENGTH + 1)))))
                .isEqualTo("a filter must be 1 to " + InterestCodec.MAX_FILTER_LENGTH + " characters");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"snapshot\",\"seq\":0,\"part\":0,"
                + "\"last\":true,\"entries\":[{\"application\":\"app\",\"filter\":\"a = 'b'\"}]}"))
                .hasMessage("only a group entry has a principal, a filter or members");
    }

    @Test
    void anEntryWithANameLongerThanTheLimitIsNotEncoded() {
        InterestEntry tooLong = InterestEntry.group("app", new GroupKey("p".repeat(256), "g", null));

        assertThat(InterestCodec.problem(tooLong)).isEqualTo("a principal must be 1 to 255 characters");
        assertThat(InterestCodec.problem(InterestEntry.channel("app", "c".repeat(255)))).isNull();
        assertThatThrownBy(() -> InterestCodec.snapshot(Map.of(tooLong, 1), 0, MAX))
                .hasMessage("a principal must be 1 to 255 characters");
    }

    @Test
    void badMessagesAreRefusedWithTheReason() {
        String head = "{\"v\":2,\"type\":\"snapshot\",\"seq\":0,\"part\":0,\"last\":true,\"entries\":";
        assertThatThrownBy(() -> InterestCodec.decode("not json")).hasMessage("interest message is not JSON");
        assertThatThrownBy(() -> InterestCodec.decode("[]")).hasMessage("interest message is not a JSON object");
        assertThatThrownBy(() -> InterestCodec.decode("{\"type\":\"delta\"}"))
                .hasMessage("interest message has no version (v)");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":1,\"applications\":{}}"))
                .hasMessage("interest message version 1 is not supported: this bridge speaks version 2; "
                        + "run the same wsbridge version on every worker");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2}")).hasMessage("interest message has no type");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"everything\"}"))
                .hasMessage("unknown interest message type 'everything'");
        assertThatThrownBy(() -> InterestCodec.decode(head + "[],\"extra\":1}"))
                .hasMessage("unknown field 'extra' in a snapshot message");
        assertThatThrownBy(() -> InterestCodec.decode(
                "{\"v\":2,\"type\":\"snapshot\",\"seq\":-1,\"part\":0,\"last\":true,\"entries\":[]}"))
                .hasMessage("interest message needs a sequence number (seq, 0 or more)");
        assertThatThrownBy(() -> InterestCodec.decode(
                "{\"v\":2,\"type\":\"snapshot\",\"seq\":0,\"part\":0,\"last\":\"yes\",\"entries\":[]}"))
                .hasMessage("a snapshot part needs last (true or false)");
        assertThatThrownBy(() -> InterestCodec.decode(
                "{\"v\":2,\"type\":\"snapshot\",\"seq\":0,\"last\":true,\"entries\":[]}"))
                .hasMessage("a snapshot part needs its part number (0 or more)");
        assertThatThrownBy(() -> InterestCodec.decode(head + "{}}")).hasMessage("entries must be a list of entries");
        assertThatThrownBy(() -> InterestCodec.decode(head + "[7]}"))
                .hasMessage("an interest entry must be a JSON object");
        assertThatThrownBy(() -> InterestCodec.decode(head + "[{\"application\":\"a\",\"colour\":\"red\"}]}"))
                .hasMessage("unknown field 'colour' in an interest entry");
        assertThatThrownBy(() -> InterestCodec.decode(head + "[{\"channel\":\"c\"}]}"))
                .hasMessage("a application must be 1 to 255 characters");
        assertThatThrownBy(() -> InterestCodec.decode(head + "[{\"application\":\"" + "a".repeat(256) + "\"}]}"))
                .hasMessage("a application must be 1 to 255 characters");
        assertThatThrownBy(() -> InterestCodec.decode(head + "[{\"application\":\"a\",\"members\":1}]}"))
                .hasMessage("only a group entry has a principal, a filter or members");
        assertThatThrownBy(() -> InterestCodec.decode(head + "[{\"application\":\"a\",\"group\":\"g\"}]}"))
                .hasMessage("a group needs 1 to 1000000 members");
        assertThatThrownBy(() -> InterestCodec.decode(
                head + "[{\"application\":\"a\",\"group\":\"g\",\"principal\":\"\",\"members\":1}]}"))
                .hasMessage("a principal must be 1 to 255 characters");
        assertThatThrownBy(() -> InterestCodec.decode(head + "[{\"application\":\"a\"},{\"application\":\"a\"}]}"))
                .hasMessage("all channels of application 'a' is listed twice");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"delta\",\"seq\":1,\"set\":[],"
                + "\"remove\":[{\"application\":\"a\",\"group\":\"g\",\"members\":1}]}"))
                .hasMessage("a removed group entry has no members");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"delta\",\"seq\":1,"
                + "\"set\":[{\"application\":\"a\",\"channel\":\"c\"}],"
                + "\"remove\":[{\"application\":\"a\",\"channel\":\"c\"}]}"))
                .hasMessage("a delta both sets and removes channel 'c' of application 'a'");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"resync\",\"reason\":3}"))
                .hasMessage("a resync request needs a reason of at most 200 characters");
    }

    @Test
    void aGroupWithoutPrincipalIsAnonymousMembersAndIsNotMergedWithAUsersGroup() {
        InterestCodec.Snapshot snapshot = (InterestCodec.Snapshot) InterestCodec.decode(
                "{\"v\":2,\"type\":\"snapshot\",\"seq\":0,\"part\":0,\"last\":true,\"entries\":["
                        + "{\"application\":\"a\",\"group\":\"g\",\"members\":3},"
                        + "{\"application\":\"a\",\"group\":\"g\",\"principal\":\"anonymous\",\"members\":4}]}");

        assertThat(snapshot.entries()).isEqualTo(Map.of(
                InterestEntry.group("a", GroupKey.anonymous("g", null)), 3,
                InterestEntry.group("a", new GroupKey("anonymous", "g", null)), 4));
    }

    @Test
    void syncAndItsAnswerCarryAnId() {
        assertThat(InterestCodec.sync(4)).isEqualTo("{\"v\":2,\"type\":\"sync\",\"id\":4}");
        assertThat(InterestCodec.decode(InterestCodec.sync(4))).isEqualTo(new InterestCodec.Sync(4));
        assertThat(InterestCodec.decode(InterestCodec.synced(7))).isEqualTo(new InterestCodec.Synced(7));
        Map<String, Map<PartitionId, Long>> places = Map.of(new GroupKey("alice", "billing", null, "type = 'x'")
                .placeId("app"), Map.of(new PartitionId("events-app", 0), 42L, new PartitionId("events-app", 3), 7L));
        List<String> encoded = places.entrySet().stream()
                .map(place -> InterestCodec.place(place.getKey(), place.getValue())).toList();
        assertThat(InterestCodec.decode(InterestCodec.places(encoded))).isEqualTo(new InterestCodec.Places(places));
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"places\","
                + "\"places\":[{\"id\":\"g\",\"positions\":[[\"t\",-1,3]]}]}"))
                .hasMessage("a position is [topic, partition, offset]");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"sync\",\"id\":-1}"))
                .hasMessage("a sync message needs an id (0 or more)");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"synced\",\"id\":1,\"x\":2}"))
                .hasMessageContaining("unknown field");
    }

    @Test
    void acknowledgementsCountMessagesAndKeptPlacesMayBeEmpty() {
        assertThat(InterestCodec.acked(1200)).isEqualTo("{\"v\":2,\"type\":\"acked\",\"messages\":1200}");
        assertThat(InterestCodec.decode(InterestCodec.acked(1200))).isEqualTo(new InterestCodec.Acked(1200));
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"acked\",\"messages\":-1}"))
                .hasMessage("an acked message needs a count of messages (0 or more)");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"acked\",\"messages\":1.5}"))
                .hasMessage("an acked message needs a count of messages (0 or more)");

        Map<PartitionId, Long> positions = Map.of(new PartitionId("events-app", 1), 7L);
        String kept = InterestCodec.kept(List.of(InterestCodec.place("a", positions), InterestCodec.place("b",
                Map.of())));
        assertThat(InterestCodec.decode(kept)).as("an empty place: the group's place is gone")
                .isEqualTo(new InterestCodec.Kept(Map.of("a", positions, "b", Map.of())));
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"kept\",\"places\":{}}"))
                .hasMessage("places must be a list");
    }

    @Test
    void workersAreNamesSortedAndBounded() {
        assertThat(InterestCodec.workers(Set.of("b:1", "a:1")))
                .isEqualTo("{\"v\":2,\"type\":\"workers\",\"names\":[\"a:1\",\"b:1\"]}");
        assertThat(InterestCodec.decode(InterestCodec.workers(Set.of("b:1", "a:1"))))
                .isEqualTo(new InterestCodec.Workers(Set.of("a:1", "b:1")));
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"workers\",\"names\":[\"\"]}"))
                .hasMessage("a worker's name must be 1 to 255 characters");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"workers\",\"names\":\"a\"}"))
                .hasMessage("workers needs a list of at most 1000 names");
    }

    @Test
    void positionsNameTheApplicationAndSplitWhenTheyAreMany() {
        Map<PartitionId, Long> two = Map.of(new PartitionId("events-app", 1), 17L, new PartitionId("events-app", 0),
                42L);
        assertThat(InterestCodec.positions("app", two)).containsExactly("{\"v\":2,\"type\":\"positions\","
                + "\"application\":\"app\",\"positions\":[[\"events-app\",0,42],[\"events-app\",1,17]]}");
        assertThat(InterestCodec.decode(InterestCodec.positions("app", two).get(0)))
                .isEqualTo(new InterestCodec.Positions("app", two));
        assertThat(InterestCodec.positions("app", Map.of())).as("no partition, no message").isEmpty();

        Map<PartitionId, Long> many = new HashMap<>();
        for (int p = 0; p < 2_000; p++) {
            many.put(new PartitionId("t".repeat(100), p), (long) p * 1_000_000);
        }
        List<String> messages = InterestCodec.positions("app", many);
        assertThat(messages).hasSizeGreaterThan(1);
        Map<PartitionId, Long> decoded = new HashMap<>();
        for (String message : messages) {
            assertThat(message.getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(PeerProtocol.MAX_PLACES_BYTES);
            decoded.putAll(((InterestCodec.Positions) InterestCodec.decode(message)).positions());
        }
        assertThat(decoded).isEqualTo(many);

        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"type\":\"positions\",\"positions\":[]}"))
                .hasMessageContaining("application");
        assertThatThrownBy(() -> InterestCodec.decode(
                "{\"v\":2,\"type\":\"positions\",\"application\":\"app\",\"positions\":[[\"t\",-1,0]]}"))
                .hasMessage("a position is [topic, partition, offset]");
    }
}
