package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import io.wsbridge.bridge.auth.InvalidCredentialsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class KeycloakApiKeysTest {

    static final Duration TTL = Duration.ofSeconds(30);
    static final Instant NOW = Instant.parse("2025-11-27T19:45:12.345Z");

    /** Users and their attribute values, like Keycloak keeps them; can be switched off. */
    static final class FakeStore implements KeycloakApiKeys.Store {
        final Map<String, KeycloakApiKeys.Owner> users = new HashMap<>();
        final AtomicInteger finds = new AtomicInteger();
        boolean down;
        /** Answers every question with this HTTP client error, if not 0. */
        int refuseWith;
        ApiKeyAttributeCheck.Finding protection = new ApiKeyAttributeCheck.Finding(
                ApiKeyAttributeCheck.Protection.ADMIN_ONLY, "admin only");

        void add(String id, String username, boolean enabled) {
            users.put(username, new KeycloakApiKeys.Owner(id, username, enabled, List.of()));
        }

        List<String> values(String username) {
            return users.get(username).values();
        }

        @Override
        public Optional<KeycloakApiKeys.Owner> find(String username)
                throws KeycloakUnavailableException, KeycloakRefusedException {
            finds.incrementAndGet();
            failIfDown();
            refuseIfTold("look up user '" + username + "'");
            return Optional.ofNullable(users.get(username));
        }

        @Override
        public void update(KeycloakApiKeys.Owner owner, UnaryOperator<List<String>> change)
                throws KeycloakUnavailableException, KeycloakRefusedException {
            failIfDown();
            refuseIfTold("update the API keys of user '" + owner.username() + "'");
            KeycloakApiKeys.Owner current = users.get(owner.username());
            users.put(owner.username(), new KeycloakApiKeys.Owner(current.userId(), current.username(),
                    current.enabled(), List.copyOf(change.apply(new ArrayList<>(current.values())))));
        }

        @Override
        public ApiKeyAttributeCheck.Finding attributeProtection()
                throws KeycloakUnavailableException, KeycloakRefusedException {
            failIfDown();
            refuseIfTold("read the user profile of realm 'wsbridge'");
            return protection;
        }

        @Override
        public String describe() {
            return "realm 'wsbridge'";
        }

        private void refuseIfTold(String what) throws KeycloakRefusedException {
            if (refuseWith != 0) {
                throw new KeycloakRefusedException(refuseWith, "Keycloak at http://kc refused to " + what + " (HTTP "
                        + refuseWith + ")", null);
            }
        }

        private void failIfDown() throws KeycloakUnavailableException {
            if (down) {
                throw new KeycloakUnavailableException("Keycloak at http://kc cannot be reached: Connection refused",
                        null);
            }
        }
    }

    final FakeStore store = new FakeStore();
    final FakeClock nanos = new FakeClock();
    final KeycloakApiKeys keys = new KeycloakApiKeys(store,
            KeycloakSettings.of("http://kc", "wsbridge", "wsbridge-bridge", "s3cret").withCacheTtl(TTL), nanos,
            Clock.fixed(NOW, ZoneOffset.UTC), new ScriptedRandom(1));

    KeycloakApiKeysTest() {
        store.add("id-alice", "alice", true);
        store.add("id-bob", "bob", true);
        store.add("id-carol", "carol", false);
    }

    static String otherSecret(String key) {
        return key.substring(0, key.length() - 1) + (key.endsWith("a") ? "b" : "a");
    }

    @Test
    void aCreatedKeyVerifiesAsItsUser() throws Exception {
        NewApiKey created = keys.create("alice");

        assertThat(keys.verify("alice", created.key())).isEqualTo(new Identity("id-alice", "alice", null));
        assertThat(created.created()).isEqualTo(Instant.parse("2025-11-27T19:45:12Z"));
        assertThat(ApiKeyFormat.keyId(created.key())).contains(created.keyId());
    }

    @Test
    void noKeyIsCreatedWhileUsersMayEditTheAttribute() {
        store.protection = new ApiKeyAttributeCheck.Finding(ApiKeyAttributeCheck.Protection.USER_EDITABLE,
                "users may edit it");

        assertThatThrownBy(() -> keys.create("alice")).isInstanceOf(ApiKeyManagementException.class)
                .hasMessage("no key created: users may edit it");
        assertThat(store.values("alice")).isEmpty();
    }

    @Test
    void noKeyIsCreatedWhenTheProfileCannotBeRead() {
        store.refuseWith = 403;

        assertThatThrownBy(() -> keys.create("alice")).isInstanceOf(ApiKeyManagementException.class)
                .hasMessage("no key created: cannot check that users cannot edit the attribute 'wsbridge-api-keys' in"
                        + " realm 'wsbridge': Keycloak at http://kc refused to read the user profile of realm"
                        + " 'wsbridge' (HTTP 403)");
    }

    @Test
    void keysAreRevokedWhateverTheProfileSays() throws Exception {
        NewApiKey created = keys.create("alice");
        store.protection = new ApiKeyAttributeCheck.Finding(ApiKeyAttributeCheck.Protection.USER_EDITABLE,
                "users may edit it");

        keys.revoke("alice", created.keyId());

        assertThat(store.values("alice")).isEmpty();
    }

    @Test
    void onlyTheHashIsStored() throws Exception {
        NewApiKey created = keys.create("alice");

        assertThat(store.values("alice")).containsExactly("id=" + created.keyId() + ";alg=sha256;hash="
                + ApiKeyFormat.encodedHash(created.key()) + ";created=2025-11-27T19:45:12Z");
    }

    @Test
    void aUserMayHaveSeveralKeysWithDifferentIds() throws Exception {
        NewApiKey first = keys.create("alice");
        NewApiKey second = keys.create("alice");

        assertThat(second.keyId()).isNotEqualTo(first.keyId());
        assertThat(keys.verify("alice", first.key()).userId()).isEqualTo("id-alice");
        assertThat(keys.verify("alice", second.key()).userId()).isEqualTo("id-alice");
    }

    @Test
    void theListShowsIdsAndCreationTimesOnly() throws Exception {
        store.users.put("alice", new KeycloakApiKeys.Owner("id-alice", "alice", true, List.of(
                "id=bbbbbbbb;alg=sha256;hash=x;created=2025-11-02T00:00:00Z",
                "id=aaaaaaaa;alg=sha256;hash=y;created=2025-11-01T00:00:00Z",
                "not a key")));

        assertThat(keys.list("alice")).containsExactly(
                new ApiKeyInfo("aaaaaaaa", Instant.parse("2025-11-01T00:00:00Z")),
                new ApiKeyInfo("bbbbbbbb", Instant.parse("2025-11-02T00:00:00Z")));
    }

    @Test
    void revokingRemovesOnlyThatKeyAndLeavesForeignValuesAlone() throws Exception {
        NewApiKey first = keys.create("alice");
        NewApiKey second = keys.create("alice");
        store.update(store.users.get("alice"), values -> {
            List<String> more = new ArrayList<>(values);
            more.add("written by a later version");
            return more;
        });

        keys.revoke("alice", first.keyId());

        assertThat(keys.list("alice")).extracting(ApiKeyInfo::keyId).containsExactly(second.keyId());
        assertThat(store.values("alice")).hasSize(2).contains("written by a later version");
    }

    @Test
    void aRevokedKeyIsRefusedOnceTheCacheTimeToLivePassed() throws Exception {
        NewApiKey created = keys.create("alice");
        keys.verify("alice", created.key());

        keys.revoke("alice", created.keyId());

        assertThat(keys.verify("alice", created.key()).userId()).as("still cached").isEqualTo("id-alice");
        nanos.advance(TTL);
        assertThatThrownBy(() -> keys.verify("alice", created.key()))
                .isInstanceOf(InvalidCredentialsException.class)
                .hasMessage("the username or API key is not valid");
    }

    @Test
    void aWrongSecretAnotherUsersKeyAnUnknownUserAndADisabledUserAreAllTheSame401() throws Exception {
        NewApiKey alices = keys.create("alice");
        NewApiKey carols = keys.create("carol");

        for (String[] attempt : List.of(
                new String[] {"alice", otherSecret(alices.key())},
                new String[] {"bob", alices.key()},
                new String[] {"nobody", alices.key()},
                new String[] {"carol", carols.key()})) {
            assertThatThrownBy(() -> keys.verify(attempt[0], attempt[1]))
                    .as(attempt[0])
                    .isInstanceOf(InvalidCredentialsException.class)
                    .hasMessage("the username or API key is not valid");
        }
    }

    @Test
    void somethingThatIsNotAWsbridgeKeyIsRefusedWithoutAskingKeycloak() {
        assertThatThrownBy(() -> keys.verify("alice", "hunter2"))
                .isInstanceOf(InvalidCredentialsException.class)
                .hasMessage("the API key is not a wsbridge key: they look like wsb_<key id>_<secret>, as printed by"
                        + " 'wsbridge keys create'");
        assertThatThrownBy(() -> keys.verify(" ", "hunter2"))
                .isInstanceOf(InvalidCredentialsException.class)
                .hasMessage("the username is empty");
        assertThat(store.finds).hasValue(0);
    }

    @Test
    void usernamesAreCaseInsensitiveLikeKeycloaks() throws Exception {
        NewApiKey created = keys.create("alice");

        assertThat(keys.verify("Alice", created.key()).username()).isEqualTo("alice");
    }

    @Test
    void answersAreCachedGoodAndBadAlike() throws Exception {
        NewApiKey created = keys.create("alice");
        String wrong = otherSecret(created.key());
        int before = store.finds.get();

        for (int i = 0; i < 3; i++) {
            keys.verify("alice", created.key());
            assertThatThrownBy(() -> keys.verify("alice", wrong)).isInstanceOf(InvalidCredentialsException.class);
        }

        assertThat(store.finds.get() - before).isEqualTo(2);
    }

    @Test
    void whileKeycloakIsDownCachedAnswersServeAndUnknownOnesFailClosed() throws Exception {
        NewApiKey alices = keys.create("alice");
        NewApiKey bobs = keys.create("bob");
        keys.verify("alice", alices.key());
        assertThatThrownBy(() -> keys.verify("alice", otherSecret(alices.key())))
                .isInstanceOf(InvalidCredentialsException.class);
        store.down = true;
        nanos.advance(TTL.multipliedBy(10));

        assertThat(keys.verify("alice", alices.key()).userId()).isEqualTo("id-alice");
        assertThatThrownBy(() -> keys.verify("alice", otherSecret(alices.key())))
                .isInstanceOf(InvalidCredentialsException.class);
        assertThatThrownBy(() -> keys.verify("bob", bobs.key()))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasMessage("Keycloak at http://kc cannot be reached: Connection refused");

        store.down = false;
        assertThat(keys.verify("bob", bobs.key()).userId()).isEqualTo("id-bob");
    }

    @Test
    void managementErrorsSayWhatIsMissing() throws Exception {
        assertThatThrownBy(() -> keys.create("nobody"))
                .isInstanceOf(ApiKeyManagementException.class)
                .hasMessage("no user 'nobody' in realm 'wsbridge'");
        assertThatThrownBy(() -> keys.list(""))
                .isInstanceOf(ApiKeyManagementException.class)
                .hasMessage("the username is empty");
        assertThatThrownBy(() -> keys.revoke("alice", "zzzzzzzz"))
                .isInstanceOf(ApiKeyManagementException.class)
                .hasMessage("user 'alice' has no API key 'zzzzzzzz'");
    }

    @Test
    void aLookupKeycloakRefusesIsAnInvalidKeyNotAnOutage() throws Exception {
        NewApiKey created = keys.create("alice");
        store.refuseWith = 400;

        assertThatThrownBy(() -> keys.verify("alice", created.key()))
                .isInstanceOf(InvalidCredentialsException.class)
                .hasMessage("the username or API key is not valid");

        store.refuseWith = 0;
        assertThatThrownBy(() -> keys.verify("alice", created.key()))
                .as("the refusal is an answer, cached like one")
                .isInstanceOf(InvalidCredentialsException.class);
        nanos.advance(TTL);
        assertThat(keys.verify("alice", created.key()).userId()).isEqualTo("id-alice");
    }

    @Test
    void usernamesThatCannotNameAUserAreRefusedWithoutAskingKeycloak() throws Exception {
        NewApiKey created = keys.create("alice");
        int before = store.finds.get();

        assertThatThrownBy(() -> keys.verify("a".repeat(256), created.key()))
                .isInstanceOf(InvalidCredentialsException.class)
                .hasMessage("the username is longer than 255 characters");
        assertThatThrownBy(() -> keys.verify("alice\r\n", created.key()))
                .isInstanceOf(InvalidCredentialsException.class)
                .hasMessage("the username contains a control character");
        assertThatThrownBy(() -> keys.list("a".repeat(300)))
                .isInstanceOf(ApiKeyManagementException.class)
                .hasMessage("the username is longer than 255 characters");
        assertThat(store.finds.get()).isEqualTo(before);
    }

    @Test
    void managementRefusedByKeycloakSaysWhat() {
        store.refuseWith = 403;

        assertThatThrownBy(() -> keys.list("alice"))
                .isInstanceOf(ApiKeyManagementException.class)
                .hasMessage("Keycloak at http://kc refused to look up user 'alice' (HTTP 403)");
    }

    @Test
    void anApiKeyWhoseUserLookupKeycloakRefusesIsInvalidAndKeycloakStaysReachable() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings().withRetryBackoff(Duration.ofMinutes(1)))) {
            KeycloakApiKeys real = new KeycloakApiKeys(admin);
            String key = keys.create("alice").key();
            keycloak.answer(400, null);

            assertThatThrownBy(() -> real.verify("mallory%zz", key))
                    .isInstanceOf(InvalidCredentialsException.class)
                    .hasMessage("the username or API key is not valid");
            assertThat(admin.reachable()).isTrue();
            assertThat(keycloak.calls()).isEqualTo(1);
        }
    }

    @Test
    void managementFailsWhenKeycloakIsDown() {
        store.down = true;

        assertThatThrownBy(() -> keys.create("alice"))
                .isInstanceOf(KeycloakUnavailableException.class)
                .hasMessage("Keycloak at http://kc cannot be reached: Connection refused");
    }
}
