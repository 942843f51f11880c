package io.wsbridge.bridge.auth;

import java.util.Objects;

/** What a subscriber presented on upgrade: nothing, an OIDC token, or a username with an API key. */
public sealed interface Credentials {

    Credentials ANONYMOUS = new Anonymous();

    /** No credentials at all. */
    record Anonymous() implements Credentials {
    }

    /** An OIDC access token, from {@code Authorization: Bearer} or {@code ?token=}. */
    record Bearer(String token) implements Credentials {

        public Bearer {
            Objects.requireNonNull(token, "token");
        }

        @Override
        public String toString() {
            return "Bearer[token=***]";
        }
    }

    /** A username and API key, from {@code Authorization: Basic} or {@code ?username=&api_key=}. */
    record ApiKey(String username, String key) implements Credentials {

        public ApiKey {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "ApiKey[username=" + username + ", key=***]";
        }
    }
}
