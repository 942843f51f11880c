package io.wsbridge.bridge.auth.keycloak;

import java.security.SecureRandom;

/** A predictable "random" source for tests: bytes counting up from a start value. */
final class ScriptedRandom extends SecureRandom {

    private static final long serialVersionUID = 1L;

    private int next;

    ScriptedRandom(int start) {
        this.next = start;
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) next;
            next += 37;
        }
    }
}
