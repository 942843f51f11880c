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
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates peer links with the cluster secret without sending it: the linking bridge sends
 * {@code Authorization: WsBridgePeer v1.<time>.<nonce>.<mac>}, the HMAC-SHA256 of time, nonce and its node name under
 * a key derived from the secret. The accepting bridge checks the MAC in constant time, refuses a time more than
 * {@link #MAX_SKEW} away from its clock, and refuses a nonce it has seen, so a captured handshake cannot be replayed.
 * Neither the secret nor a token is ever logged.
 */
final class PeerAuth {

    static final String SCHEME = "WsBridgePeer";
    static final Duration MAX_SKEW = Duration.ofMinutes(5);
    private static final String VERSION = "v1";
    private static final String ALGORITHM = "HmacSHA256";
    private static final int MAX_REMEMBERED_NONCES = 100_000;
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
                "wsbridge peer link v1");
        this.key = new SecretKeySpec(derived, ALGORITHM);
        this.clockMillis = clockMillis;
    }

    /** The value of the {@code Authorization} header for a link from {@code node}. */
    String authorization(String node) {
        byte[] nonce = new byte[18];
        random.nextBytes(nonce);
        String time = Long.toString(clockMillis.getAsLong());
        String nonceText = BASE64.encodeToString(nonce);
        return SCHEME + " " + VERSION + "." + time + "." + nonceText + "."
                + BASE64.encodeToString(hmac(key, message(time, nonceText, node)));
    }

    /**
     * Checks the {@code Authorization} header of a link from {@code node}.
     *
     * @return {@code null} if it is valid, else why not (without the token)
     */
    String verify(String authorization, String node) {
        if (authorization == null || !authorization.startsWith(SCHEME + " ")) {
            return "no " + SCHEME + " credentials";
        }
        String[] parts = authorization.substring(SCHEME.length() + 1).trim().split("\\.", -1);
        if (parts.length != 4 || !VERSION.equals(parts[0])) {
            return "malformed credentials";
        }
        long time;
        byte[] mac;
        try {
            time = Long.parseLong(parts[1]);
            mac = UNBASE64.decode(parts[3]);
        } catch (IllegalArgumentException e) {
            return "malformed credentials";
        }
        byte[] expected = hmac(key, message(parts[1], parts[2], node == null ? "" : node));
        if (!MessageDigest.isEqual(expected, mac)) {
            return "wrong cluster secret";
        }
        long now = clockMillis.getAsLong();
        if (Math.abs(now - time) > MAX_SKEW.toMillis()) {
            return "credentials from " + (now - time) / 1000 + " s ago; are the clocks of the workers in sync?";
        }
        synchronized (seen) {
            forgetOlderThan(now - 2 * MAX_SKEW.toMillis());
            if (seen.putIfAbsent(parts[2], now) != null) {
                return "replayed credentials";
            }
            if (seen.size() > MAX_REMEMBERED_NONCES) {
                Iterator<String> oldest = seen.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        return null;
    }

    private void forgetOlderThan(long cutoff) {
        Iterator<Map.Entry<String, Long>> entries = seen.entrySet().iterator();
        while (entries.hasNext() && entries.next().getValue() < cutoff) {
            entries.remove();
        }
    }

    private static String message(String time, String nonce, String node) {
        return VERSION + "\n" + time + "\n" + nonce + "\n" + node;
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
}
