package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Interest;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InterestCodecTest {

    @Test
    void snapshotSurvivesTheRoundTrip() {
        Interest interest = new Interest(Map.of(
                "a", new Interest.Application(true, Set.of(), Map.of(GroupKey.anonymous("g", null), 2,
                        new GroupKey("alice", "g", null), 1, new GroupKey("service-account-billing", "g", null), 4)),
                "b", new Interest.Application(false, Set.of("door", "win/dow"),
                        Map.of(GroupKey.anonymous("g", "door"), 1, new GroupKey("bob", "g", "door"), 2,
                                GroupKey.anonymous("h", null), 3)),
                "c", new Interest.Application(false, Set.of(), Map.of(new GroupKey("anonymous", "only", null), 1))));

        assertThat(InterestCodec.decode(InterestCodec.encode(interest))).isEqualTo(interest);
    }

    @Test
    void encodingIsCompactAndStable() {
        Interest interest = new Interest(Map.of("app",
                new Interest.Application(true, Set.of(), Map.of(GroupKey.anonymous("billing", null), 2))));

        assertThat(InterestCodec.encode(interest))
                .isEqualTo("{\"v\":1,\"applications\":{\"app\":{\"plain\":\"all\","
                        + "\"groups\":[{\"id\":\"billing\",\"members\":2}]}}}");
        Interest alices = new Interest(Map.of("app",
                new Interest.Application(false, Set.of(), Map.of(new GroupKey("alice", "billing", "door"), 1))));
        assertThat(InterestCodec.encode(alices))
                .isEqualTo("{\"v\":1,\"applications\":{\"app\":{\"groups\":"
                        + "[{\"principal\":\"alice\",\"id\":\"billing\",\"channel\":\"door\",\"members\":1}]}}}");
        assertThat(InterestCodec.encode(Interest.NONE)).isEqualTo("{\"v\":1,\"applications\":{}}");
    }

    @Test
    void aGroupWithoutPrincipalIsAnonymousMembersAndIsNotMergedWithAUsersGroup() {
        Interest decoded = InterestCodec.decode("{\"v\":1,\"applications\":{\"a\":{\"groups\":["
                + "{\"id\":\"g\",\"members\":1},{\"principal\":null,\"id\":\"g\",\"members\":2},"
                + "{\"principal\":\"anonymous\",\"id\":\"g\",\"members\":4}]}}}");

        assertThat(decoded.application("a").groups()).isEqualTo(Map.of(
                GroupKey.anonymous("g", null), 3, new GroupKey("anonymous", "g", null), 4));
    }

    @Test
    void applicationsWithoutInterestAreLeftOut() {
        Interest decoded = InterestCodec.decode("{\"v\":1,\"applications\":{\"a\":{\"groups\":[]}}}");

        assertThat(decoded.applications()).isEmpty();
    }

    @Test
    void malformedSnapshotsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> InterestCodec.decode("not json")).hasMessage("interest is not JSON");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":2,\"applications\":{}}"))
                .hasMessage("interest is not a version 1 snapshot");
        assertThatThrownBy(() -> InterestCodec.decode("{\"v\":1,\"applications\":{\"a\":{\"plain\":true}}}"))
                .hasMessage("plain must be \"all\" or a list of channels");
        assertThatThrownBy(() -> InterestCodec.decode(
                "{\"v\":1,\"applications\":{\"a\":{\"groups\":[{\"id\":\"g\",\"members\":0}]}}}"))
                .hasMessage("a group needs 1 to 1000000 members");
        assertThatThrownBy(() -> InterestCodec.decode(
                "{\"v\":1,\"applications\":{\"a\":{\"groups\":[{\"members\":1}]}}}"))
                .hasMessage("a group id must be 1 to 255 characters");
        assertThatThrownBy(() -> InterestCodec.decode(
                "{\"v\":1,\"applications\":{\"a\":{\"groups\":[{\"principal\":\"\",\"id\":\"g\",\"members\":1}]}}}"))
                .hasMessage("a principal must be 1 to 255 characters");
        assertThatThrownBy(() -> InterestCodec.decode(
                "{\"v\":1,\"applications\":{\"a\":{\"groups\":[{\"principal\":7,\"id\":\"g\",\"members\":1}]}}}"))
                .hasMessage("a principal must be 1 to 255 characters");
    }
}
