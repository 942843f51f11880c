package io.wsbridge.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PeerAuthTest {

    static final String SECRET = "a-long-cluster-secret-for-tests";

    @Test
    void credentialsFromTheSameSecretAreAccepted() {
        PeerAuth linking = new PeerAuth(SECRET);
        PeerAuth accepting = new PeerAuth(SECRET);

        assertThat(accepting.verify(linking.authorization("10.0.0.2:8085"), "10.0.0.2:8085")).isNull();
    }

    @Test
    void theSecretItselfIsNeverSent() {
        String header = new PeerAuth(SECRET).authorization("node");

        assertThat(header).startsWith("WsBridgePeer v1.").doesNotContain(SECRET);
    }

    @Test
    void anotherSecretIsRefused() {
        String header = new PeerAuth("some-other-secret-of-the-cluster").authorization("node");

        assertThat(new PeerAuth(SECRET).verify(header, "node")).isEqualTo("wrong cluster secret");
    }

    @Test
    void credentialsAreBoundToTheNodeName() {
        String header = new PeerAuth(SECRET).authorization("node-a");

        assertThat(new PeerAuth(SECRET).verify(header, "node-b")).isEqualTo("wrong cluster secret");
    }

    @Test
    void aReplayedHandshakeIsRefused() {
        PeerAuth accepting = new PeerAuth(SECRET);
        String header = new PeerAuth(SECRET).authorization("node");

        assertThat(accepting.verify(header, "node")).isNull();
        assertThat(accepting.verify(header, "node")).isEqualTo("replayed credentials");
    }

    @Test
    void credentialsOutsideTheClockSkewAreRefused() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        PeerAuth linking = new PeerAuth(SECRET, now::get);
        PeerAuth accepting = new PeerAuth(SECRET, now::get);
        String old = linking.authorization("node");

        now.addAndGet(PeerAuth.MAX_SKEW.toMillis() + 1_000);

        assertThat(accepting.verify(old, "node"))
                .isEqualTo("credentials from 301 s ago; are the clocks of the workers in sync?");
        assertThat(accepting.verify(linking.authorization("node"), "node")).isNull();
    }

    @Test
    void missingOrMalformedCredentialsAreRefused() {
        PeerAuth accepting = new PeerAuth(SECRET);

        assertThat(accepting.verify(null, "node")).isEqualTo("no WsBridgePeer credentials");
        assertThat(accepting.verify("Bearer abc", "node")).isEqualTo("no WsBridgePeer credentials");
        assertThat(accepting.verify("WsBridgePeer v1.x.y", "node")).isEqualTo("malformed credentials");
        assertThat(accepting.verify("WsBridgePeer v1.notanumber.bm9uY2U.bWFj", "node"))
                .isEqualTo("malformed credentials");
        assertThat(accepting.verify("WsBridgePeer v2.1.bm9uY2U.bWFj", "node")).isEqualTo("malformed credentials");
    }
}
