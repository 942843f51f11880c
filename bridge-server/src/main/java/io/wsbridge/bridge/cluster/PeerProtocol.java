package io.wsbridge.bridge.cluster;

/**
 * The wire contract of peer links. A bridge with subscribers links, as a WebSocket client, to every peer that consumes
 * events ({@link #PATH}, authenticated both ways with {@link PeerAuth}); it sends its interest as text messages
 * ({@link InterestCodec}: a snapshot in parts, then deltas, each at most {@link #INTEREST_CHUNK_BYTES}), the peer
 * answers a gap with a resync request (text), and forwards matching events as binary messages ({@link ForwardCodec}).
 */
final class PeerProtocol {

    /** Paths under this prefix are reserved for the bridge; no application can be named {@code _wsbridge}. */
    static final String PREFIX = "/_wsbridge/";
    static final String PATH = PREFIX + "peer";
    /**
     * The version of the link handshake ({@link PeerAuth}): v2 binds the credentials to the target worker and has the
     * accepting bridge prove itself in {@link #PROOF_HEADER}; v1 did neither and is refused.
     */
    static final String VERSION = "v2";
    /** The response header with which the accepting bridge proves that it holds the cluster secret. */
    static final String PROOF_HEADER = "WsBridge-Peer-Proof";
    /**
     * The upgrade header ({@code 1}) with which each side of a link says it takes part in acknowledgements
     * ({@link InterestCodec.Acked}: the linking side sends them, the consuming side keeps what it handed to groups
     * until they come) and in copies of kept places ({@link InterestCodec.Kept}). Without it on both, a link carries
     * neither (a bridge of an earlier version).
     */
    static final String ACKS_HEADER = "WsBridge-Peer-Acks";
    /**
     * The upgrade header ({@code 1}) with which the linking side says it reads {@link InterestCodec.Positions}: the
     * consuming side then sends its live position in each application the link's interest names, in order with the
     * forwarded events. Without it (a bridge of an earlier version) a link carries none.
     */
    static final String POSITIONS_HEADER = "WsBridge-Peer-Positions";
    /** Query parameter with the linking bridge's name (advertised host:port), for logs and metric tags. */
    static final String NODE_PARAM = "node";
    static final int MAX_NODE_LENGTH = 255;
    /** Largest interest message a bridge sends: a larger interest goes out in several. */
    static final int INTEREST_CHUNK_BYTES = 64 * 1024;
    /** Largest interest message a bridge accepts, with room to spare over what it sends. */
    static final int MAX_INTEREST_BYTES = 2 * INTEREST_CHUNK_BYTES;
    /** The most bytes of group places in one {@code places} message (a place has room, whatever its names). */
    static final int MAX_PLACES_BYTES = INTEREST_CHUNK_BYTES;
    /** Largest frame on a link; longer messages are fragmented. */
    static final int MAX_FRAME_BYTES = 1024 * 1024;
    /** Largest forwarded event; Kafka's own record limit is far below. */
    static final int MAX_EVENT_BYTES = 64 * 1024 * 1024;

    private PeerProtocol() {
    }
}
