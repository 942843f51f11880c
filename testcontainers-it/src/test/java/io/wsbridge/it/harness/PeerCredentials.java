package io.wsbridge.it.harness;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Peer-link credentials computed from the cluster secret the way the README describes the handshake (protocol v2),
 * written here from that description rather than taken from the bridge: what an attacker who captured a handshake
 * holds, or what a worker of the cluster sends.
 *
 * @param authorization the {@code Authorization} header, {@code WsBridgePeer v2.<time>.<nonce>.<target>.<mac>}
 * @param proof the {@code WsBridge-Peer-Proof} a bridge that holds the secret answers with
 */
public record PeerCredentials(String authorization, String proof) {

    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Credentials of node {@code from} (its {@code ?node=}) for the worker it addresses as {@code target}. */
    public static PeerCredentials of(String secret, String from, String target) {
        byte[] nonceBytes = new byte[18];
        RANDOM.nextBytes(nonceBytes);
        String nonce = BASE64.encodeToString(nonceBytes);
        String time = Long.toString(System.currentTimeMillis());
        byte[] key = hmac(secret.getBytes(StandardCharsets.UTF_8), "wsbridge peer link v2");
        String mac = BASE64.encodeToString(hmac(key, String.join("\n", "link", time, nonce, from, target)));
        return new PeerCredentials("WsBridgePeer v2." + time + "." + nonce + "."
                + BASE64.encodeToString(target.getBytes(StandardCharsets.UTF_8)) + "." + mac,
                BASE64.encodeToString(hmac(key, String.join("\n", "proof", nonce, from, target))));
    }

    private static byte[] hmac(byte[] key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
