package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class PeerAuthTest {

    static final String SECRET = "a-long-cluster-secret-for-tests";
    static final String FROM = "10.0.0.2:8085";
    static final String B = "10.0.0.3:8085";
    static final Predicate<String> AT_B = B::equals;

    @Test
    void credentialsFromTheSameSecretAddressedToThisWorkerAreAccepted() {
        PeerAuth.Handshake handshake = new PeerAuth(SECRET).handshake(FROM, B);

        PeerAuth.Verdict verdict = new PeerAuth(SECRET).verify(handshake.authorization(), FROM, AT_B);

        assertThat(verdict.accepted()).isTrue();
        assertThat(verdict.status()).isZero();
        assertThat(handshake.checkProof(verdict.proof())).as("the proof the accepting bridge answers with").isNull();
    }

    @Test
    void theSecretItselfIsNeverSent() {
        PeerAuth.Handshake handshake = new PeerAuth(SECRET).handshake("node", B);
        PeerAuth.Verdict verdict = new PeerAuth(SECRET).verify(handshake.authorization(), "node", AT_B);

        assertThat(handshake.authorization()).startsWith("WsBridgePeer v2.").doesNotContain(SECRET);
        assertThat(verdict.proof()).doesNotContain(SECRET);
    }

    @Test
    void anotherSecretIsRefused() {
        String header = new PeerAuth("some-other-secret-of-the-cluster").handshake("node", B).authorization();

        assertThat(new PeerAuth(SECRET).verify(header, "node", AT_B))
                .isEqualTo(PeerAuth.Verdict.refused(401, "wrong cluster secret"));
    }

    @Test
    void credentialsAreBoundToTheNodeName() {
        String header = new PeerAuth(SECRET).handshake("node-a", B).authorization();

        assertThat(new PeerAuth(SECRET).verify(header, "node-b", AT_B))
                .isEqualTo(PeerAuth.Verdict.refused(401, "wrong cluster secret"));
    }

    @Test
    void credentialsForOneWorkerAreRefusedByAnotherWithoutUsingThemUp() {
        PeerAuth other = new PeerAuth(SECRET);
        String forA = new PeerAuth(SECRET).handshake(FROM, "10.0.0.1:8085").authorization();

        assertThat(other.verify(forA, FROM, AT_B))
                .isEqualTo(PeerAuth.Verdict.refused(403, "credentials addressed to another worker, 10.0.0.1:8085"));
        assertThat(other.verify(forA, FROM, "10.0.0.1:8085"::equals).accepted())
                .as("valid for the worker it names").isTrue();
    }

    @Test
    void aTargetChangedInTransitBreaksTheMac() {
        String forA = new PeerAuth(SECRET).handshake(FROM, "10.0.0.1:8085").authorization();
        String[] parts = forA.split("\\.");
        parts[3] = Base64.getUrlEncoder().withoutPadding().encodeToString(B.getBytes(StandardCharsets.UTF_8));

        assertThat(new PeerAuth(SECRET).verify(String.join(".", parts), FROM, AT_B))
                .isEqualTo(PeerAuth.Verdict.refused(401, "wrong cluster secret"));
    }

    @Test
    void aReplayedHandshakeIsRefused() {
        PeerAuth accepting = new PeerAuth(SECRET);
        String header = new PeerAuth(SECRET).handshake("node", B).authorization();

        assertThat(accepting.verify(header, "node", AT_B).accepted()).isTrue();
        assertThat(accepting.verify(header, "node", AT_B))
                .isEqualTo(PeerAuth.Verdict.refused(401, "replayed credentials"));
    }

    @Test
    void credentialsOutsideTheClockSkewAreRefused() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        PeerAuth linking = new PeerAuth(SECRET, now::get);
        PeerAuth accepting = new PeerAuth(SECRET, now::get);
        String old = linking.handshake("node", B).authorization();

        now.addAndGet(PeerAuth.MAX_SKEW.toMillis() + 1_000);

        assertThat(accepting.verify(old, "node", AT_B)).isEqualTo(PeerAuth.Verdict.refused(401,
                "credentials from 301 s ago; are the clocks of the workers in sync?"));
        assertThat(accepting.verify(linking.handshake("node", B).authorization(), "node", AT_B).accepted()).isTrue();
    }

    @Test
    void onlyTheProofForThisAttemptIsAccepted() {
        PeerAuth linking = new PeerAuth(SECRET);
        PeerAuth accepting = new PeerAuth(SECRET);
        PeerAuth.Handshake first = linking.handshake(FROM, B);
        PeerAuth.Handshake second = linking.handshake(FROM, B);
        String firstProof = accepting.verify(first.authorization(), FROM, AT_B).proof();

        assertThat(second.checkProof(firstProof)).as("a proof replayed to another attempt")
                .isEqualTo("its WsBridge-Peer-Proof is wrong");
        assertThat(second.checkProof(null)).isEqualTo("its answer carries no WsBridge-Peer-Proof");
        assertThat(second.checkProof(" ")).isEqualTo("its answer carries no WsBridge-Peer-Proof");
        assertThat(second.checkProof("not base64!")).isEqualTo("its WsBridge-Peer-Proof is malformed");
        assertThat(second.checkProof(accepting.verify(second.authorization(), FROM, AT_B).proof())).isNull();
    }

    @Test
    void aProofIsNotTheMacOfCredentialsAndCredentialsAreNoProof() {
        PeerAuth.Handshake handshake = new PeerAuth(SECRET).handshake(FROM, B);
        String mac = handshake.authorization().substring(handshake.authorization().lastIndexOf('.') + 1);

        assertThat(handshake.checkProof(mac)).as("its own MAC reflected back").isEqualTo("its WsBridge-Peer-Proof is wrong");

        String[] parts = handshake.authorization().split("\\.");
        String proof = new PeerAuth(SECRET).verify(handshake.authorization(), FROM, AT_B).proof();
        parts[4] = proof;
        assertThat(new PeerAuth(SECRET).verify(String.join(".", parts), FROM, AT_B))
                .as("a proof passed off as credentials").isEqualTo(PeerAuth.Verdict.refused(401, "wrong cluster secret"));
    }

    @Test
    void theOldFormatIsRefusedWithAMessageThatNamesIt() {
        assertThat(new PeerAuth(SECRET).verify("WsBridgePeer v1.1700000000000.bm9uY2U.bWFj", "node", AT_B))
                .isEqualTo(PeerAuth.Verdict.refused(401, "credentials of peer link protocol v1, from an older "
                        + "wsbridge version that does not prove itself to its peers; run the same wsbridge version "
                        + "(protocol v2) on every worker"));
    }

    @Test
    void missingOrMalformedCredentialsAreRefused() {
        PeerAuth accepting = new PeerAuth(SECRET);

        assertThat(accepting.verify(null, "node", AT_B)).isEqualTo(PeerAuth.Verdict.refused(401,
                "no WsBridgePeer credentials"));
        assertThat(accepting.verify("Bearer abc", "node", AT_B)).isEqualTo(PeerAuth.Verdict.refused(401,
                "no WsBridgePeer credentials"));
        for (String malformed : new String[] {"WsBridgePeer v2.x.y", "WsBridgePeer v2.notanumber.bm9uY2U.eA.bWFj",
            "WsBridgePeer v2.1.bm9uY2U.not*base64.bWFj", "WsBridgePeer v2.1.bm9uY2U..bWFj",
            "WsBridgePeer v3.1.bm9uY2U.eA.bWFj", "WsBridgePeer v1.x.y"}) {
            assertThat(accepting.verify(malformed, "node", AT_B)).as(malformed)
                    .isEqualTo(PeerAuth.Verdict.refused(401, "malformed credentials"));
        }
    }
}
