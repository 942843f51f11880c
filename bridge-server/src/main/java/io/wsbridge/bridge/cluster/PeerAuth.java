package io.wsbridge.bridge.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates peer links both ways with the cluster secret without sending it, under a key derived from the secret
 * (HMAC-SHA256).
 *
 * <ul>
 *   <li>The linking bridge sends {@code Authorization: WsBridgePeer v2.<time>.<nonce>.<target>.<mac>}: the MAC covers
 *       a direction label, time, nonce, its own node name and the <b>target</b>, the peer as the linking bridge
 *       addresses it ({@code host:port}, base64url in the header). The accepting bridge checks the MAC in constant
 *       time, refuses (403) a target that is not one of its own names, a time more than {@link #MAX_SKEW} away from
 *       its clock, and a nonce it has seen: a captured handshake cannot be replayed, to this bridge or another.</li>
 *   <li>The accepting bridge answers with {@link #PROOF_HEADER}: the MAC of another direction label, the linking
 *       bridge's nonce, node name and target. The linking bridge uses the link only if that proof is right, so
 *       whatever answers on the address of a dead worker cannot pass events off as a peer's, and a proof can neither
 *       be reflected as credentials nor reused for another attempt.</li>
 * </ul>
 *
 * Neither the secret nor a MAC is ever logged. Version {@code v1} (a MAC over time, nonce and node name only, no
 * proof back) is refused with a message that names it.
 */
final class PeerAuth {

    static final String SCHEME = "WsBridgePeer";
    static final String PROOF_HEADER = PeerProtocol.PROOF_HEADER;
    static final Duration MAX_SKEW = Duration.ofMinutes(5);
    static final String VERSION = PeerProtocol.VERSION;
    private static final String LINK = "link";
    private static final String PROOF = "proof";
    private static final String ALGORITHM = "HmacSHA256";
    private static final int MAX_REMEMBERED_NONCES = 100_000;
    private static final int MAX_TARGET_LENGTH = 300;
    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder UNBASE64 = Base64.getUrlDecoder();

    private final SecretKeySpec key;
    private final LongSupplier clockMillis;
    private final SecureRandom random = new SecureRandom();
    /** Nonces accepted within the last 2 x {@link #MAX_SKEW}, oldest first, with the time they were accepted. */
    private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();

    PeerAuth(String secret) {
        this(secret, System::currentTimeMillis);
    }

    PeerAuth(String secret, LongSupplier clockMillis) {
        byte[] derived = hmac(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM),
                "wsbridge peer link " + VERSION);
        this.key = new SecretKeySpec(derived, ALGORITHM);
        this.clockMillis = clockMillis;
    }

    /**
     * The credentials of one link attempt from {@code node} to the peer it addresses as {@code target}, and the proof
     * that peer must answer with.
     */
    Handshake handshake(String node, String target) {
        byte[] nonce = new byte[18];
        random.nextBytes(nonce);
        String time = Long.toString(clockMillis.getAsLong());
        String nonceText = BASE64.encodeToString(nonce);
        String authorization = SCHEME + " " + VERSION + "." + time + "." + nonceText + "."
                + BASE64.encodeToString(target.getBytes(StandardCharsets.UTF_8)) + "."
                + BASE64.encodeToString(hmac(key, String.join("\n", LINK, time, nonceText, node, target)));
        return new Handshake(authorization, hmac(key, String.join("\n", PROOF, nonceText, node, target)));
    }

    /**
     * Checks the {@code Authorization} header of a link from {@code node}.
     *
     * @param isSelf whether a target ({@code host:port}) names this bridge
     * @return the verdict: the proof to answer with, or the status and why not (without the credentials)
     */
    Verdict verify(String authorization, String node, Predicate<String> isSelf) {
        if (authorization == null || !authorization.startsWith(SCHEME + " ")) {
            return Verdict.refused(401, "no " + SCHEME + " credentials");
        }
        String[] parts = authorization.substring(SCHEME.length() + 1).trim().split("\\.", -1);
        if (parts.length == 4 && "v1".equals(parts[0])) {
            return Verdict.refused(401, "credentials of peer link protocol v1, from an older wsbridge version that "
                    + "does not prove itself to its peers; run the same wsbridge version (protocol " + VERSION
                    + ") on every worker");
        }
        if (parts.length != 5 || !VERSION.equals(parts[0])) {
            return Verdict.refused(401, "malformed credentials");
        }
        long time;
        String target;
        byte[] mac;
        try {
            time = Long.parseLong(parts[1]);
            target = new String(UNBASE64.decode(parts[3]), StandardCharsets.UTF_8);
            mac = UNBASE64.decode(parts[4]);
        } catch (IllegalArgumentException e) {
            return Verdict.refused(401, "malformed credentials");
        }
        if (target.isEmpty() || target.length() > MAX_TARGET_LENGTH) {
            return Verdict.refused(401, "malformed credentials");
        }
        String from = node == null ? "" : node;
        byte[] expected = hmac(key, String.join("\n", LINK, parts[1], parts[2], from, target));
        if (!MessageDigest.isEqual(expected, mac)) {
            return Verdict.refused(401, "wrong cluster secret");
        }
        if (!isSelf.test(target)) {
            return Verdict.refused(403, "credentials addressed to another worker, " + target);
        }
        long now = clockMillis.getAsLong();
        if (Math.abs(now - time) > MAX_SKEW.toMillis()) {
            return Verdict.refused(401,
                    "credentials from " + (now - time) / 1000 + " s ago; are the clocks of the workers in sync?");
        }
        synchronized (seen) {
            forgetOlderThan(now - 2 * MAX_SKEW.toMillis());
            if (seen.putIfAbsent(parts[2], now) != null) {
                return Verdict.refused(401, "replayed credentials");
            }
            if (seen.size() > MAX_REMEMBERED_NONCES) {
                Iterator<String> oldest = seen.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        return new Verdict(0, null, BASE64.encodeToString(hmac(key, String.join("\n", PROOF, parts[2], from, target))));
    }

    private void forgetOlderThan(long cutoff) {
        Iterator<Map.Entry<String, Long>> entries = seen.entrySet().iterator();
        while (entries.hasNext() && entries.next().getValue() < cutoff) {
            entries.remove();
        }
    }

    private static byte[] hmac(SecretKeySpec key, String message) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available", e);
        }
    }

    /** The linking side of one attempt: the header to send, and the proof the answer must carry. */
    static final class Handshake {

        private final String authorization;
        private final byte[] proof;

        private Handshake(String authorization, byte[] proof) {
            this.authorization = authorization;
            this.proof = proof;
        }

        /** The value of the {@code Authorization} header. */
        String authorization() {
            return authorization;
        }

        /**
         * Checks the {@link #PROOF_HEADER} of the accepting peer's answer.
         *
         * @return {@code null} if it proves the peer holds the secret, else why not (without the proof)
         */
        String checkProof(String header) {
            if (header == null || header.isBlank()) {
                return "its answer carries no " + PROOF_HEADER;
            }
            byte[] given;
            try {
                given = UNBASE64.decode(header.trim());
            } catch (IllegalArgumentException e) {
                return "its " + PROOF_HEADER + " is malformed";
            }
            return MessageDigest.isEqual(proof, given) ? null : "its " + PROOF_HEADER + " is wrong";
        }
    }

    /**
     * The accepting side's verdict on one attempt.
     *
     * @param status 0 if accepted, else the HTTP status to refuse with (401, or 403 for another worker's credentials)
     * @param problem why it is refused, without the credentials; {@code null} if accepted
     * @param proof the value of {@link #PROOF_HEADER} to answer with; {@code null} if refused
     */
    record Verdict(int status, String problem, String proof) {

        static Verdict refused(int status, String problem) {
            return new Verdict(status, problem, null);
        }

        boolean accepted() {
            return problem == null;
        }
    }
}
