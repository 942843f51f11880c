package io.wsbridge.bridge.auth.keycloak;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of an API key: {@code wsb_<key id>_<secret>}, all lower-case letters and digits, so a key is URL-safe,
 * needs no quoting in a shell and is selected whole by a double click. The key id (8 characters) tells a user's keys
 * apart and is not secret; the secret is 52 characters of a 32-letter alphabet, 260 random bits from
 * {@link SecureRandom}. Only the SHA-256 of the whole key is stored: a key this random needs no slow password hash.
 */
public final class ApiKeyFormat {

    public static final String PREFIX = "wsb_";
    public static final int KEY_ID_LENGTH = 8;
    public static final int SECRET_LENGTH = 52;
    /** The one hash algorithm so far; stored with each key so it can change later. */
    public static final String ALGORITHM = "sha256";

    /** 32 letters and digits, without the look-alikes i, l, o and u: 5 bits per character, no modulo bias. */
    static final String ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

    private static final Pattern KEY = Pattern.compile(
            Pattern.quote(PREFIX) + "([" + ALPHABET + "]{" + KEY_ID_LENGTH + "})_[" + ALPHABET + "]{" + SECRET_LENGTH
                    + "}");
    private static final Pattern KEY_ID = Pattern.compile("[" + ALPHABET + "]{" + KEY_ID_LENGTH + "}");
    private static final int MAX_ID_ATTEMPTS = 100;

    private ApiKeyFormat() {
    }

    /** A new key whose id is none of {@code takenIds}. */
    public static String generate(SecureRandom random, Set<String> takenIds) {
        String keyId = null;
        for (int attempt = 0; attempt < MAX_ID_ATTEMPTS && (keyId == null || takenIds.contains(keyId)); attempt++) {
            keyId = randomString(random, KEY_ID_LENGTH);
        }
        if (takenIds.contains(keyId)) {
            throw new IllegalStateException("no free key id after " + MAX_ID_ATTEMPTS + " attempts");
        }
        return PREFIX + keyId + "_" + randomString(random, SECRET_LENGTH);
    }

    /** The key id of a well-formed key; empty for anything else. */
    public static Optional<String> keyId(String key) {
        if (key == null) {
            return Optional.empty();
        }
        Matcher matcher = KEY.matcher(key);
        return matcher.matches() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    public static boolean isKeyId(String keyId) {
        return keyId != null && KEY_ID.matcher(keyId).matches();
    }

    /** SHA-256 of the key's UTF-8 bytes. */
    public static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** {@link #hash(String)} as unpadded URL-safe base64, the form that is stored. */
    public static String encodedHash(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(hash(key));
    }

    private static String randomString(SecureRandom random, int length) {
        StringBuilder result = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            result.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return result.toString();
    }
}
