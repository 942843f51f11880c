package io.wsbridge.bridge.auth.keycloak;

import io.wsbridge.bridge.auth.ApiKeyVerifier;
import io.wsbridge.bridge.auth.CredentialsParser;
import io.wsbridge.bridge.auth.Identity;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import io.wsbridge.bridge.auth.InvalidCredentialsException;
import jakarta.ws.rs.NotFoundException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.UserRepresentation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API keys kept as hashes in a Keycloak user attribute, one value per key (see {@link StoredApiKey}); the realm's
 * user profile must make the attribute admin-only, so that users cannot change it ({@link ApiKeyAttributeCheck}):
 * {@link #create} refuses otherwise.
 *
 * <p>Verification looks the user up by exact username and compares the hash of the presented key with the stored
 * one of the same key id in constant time. A username Keycloak refuses to look up (a 4xx answer) names no user: the
 * key is not valid, and Keycloak still counts as answering. A username longer than
 * {@value CredentialsParser#MAX_USERNAME_LENGTH} characters or with a control character is refused without asking.
 * Answers, "valid" and "not valid" alike, are cached for the settings'
 * TTL keyed by the username and a hash of the key (never the key), and served beyond it while Keycloak cannot
 * answer; so a revoked key stops working within the TTL once Keycloak answers.
 *
 * <p>Does not own the {@link KeycloakAdmin}: whoever built it closes it.
 */
public final class KeycloakApiKeys implements ApiKeyVerifier, ApiKeyManager {

    /** The user attribute that holds the hashes. */
    public static final String ATTRIBUTE = "wsbridge-api-keys";

    /** One message for an unknown user, a disabled user and a wrong key: a client learns nothing from the 401. */
    static final String NOT_VALID = "the username or API key is not valid";

    private static final Logger LOG = LoggerFactory.getLogger(KeycloakApiKeys.class);

    /** A user as far as keys are concerned. */
    record Owner(String userId, String username, boolean enabled, List<String> values) {
    }

    /** Where users and their key hashes live. */
    interface Store {
        /** The user with exactly this username, if any. */
        Optional<Owner> find(String username) throws KeycloakUnavailableException, KeycloakRefusedException;

        /** Rewrites the user's key values from their current ones, read afresh. */
        void update(Owner owner, UnaryOperator<List<String>> change)
                throws KeycloakUnavailableException, KeycloakRefusedException;

        /** What the realm's user profile lets users and administrators do with the attribute. */
        ApiKeyAttributeCheck.Finding attributeProtection() throws KeycloakUnavailableException, KeycloakRefusedException;

        /** Who is asked, for messages: {@code realm 'wsbridge'}. */
        String describe();
    }

    private record Verdict(Identity identity, String reason) {
    }

    private final Store store;
    private final AnswerCache<String, Verdict> cache;
    private final Clock clock;
    private final SecureRandom random;

    public KeycloakApiKeys(KeycloakAdmin admin) {
        this(new KeycloakStore(admin), admin.settings(), System::nanoTime, Clock.systemUTC(), new SecureRandom());
    }

    KeycloakApiKeys(Store store, KeycloakSettings settings, LongSupplier nanoClock, Clock clock, SecureRandom random) {
        this.store = store;
        this.cache = new AnswerCache<>(settings.cacheTtl(), settings.cacheMaxEntries(), nanoClock);
        this.clock = clock;
        this.random = random;
    }

    @Override
    public Identity verify(String username, String apiKey)
            throws InvalidCredentialsException, IdentityUnavailableException {
        if (username == null || username.isBlank()) {
            throw new InvalidCredentialsException("the username is empty");
        }
        String problem = CredentialsParser.usernameProblem(username);
        if (problem != null) {
            throw new InvalidCredentialsException(problem);
        }
        Optional<String> keyId = ApiKeyFormat.keyId(apiKey);
        if (keyId.isEmpty()) {
            throw new InvalidCredentialsException("the API key is not a wsbridge key: they look like "
                    + ApiKeyFormat.PREFIX + "<key id>_<secret>, as printed by 'wsbridge keys create'");
        }
        String name = username.toLowerCase(Locale.ROOT);
        byte[] keyHash = ApiKeyFormat.hash(apiKey);
        String cacheKey = name + '\n' + Base64.getEncoder().encodeToString(keyHash);
        Verdict verdict = cache.get(cacheKey, () -> check(name, keyId.get(), apiKey));
        if (verdict.identity() == null) {
            throw new InvalidCredentialsException(NOT_VALID);
        }
        return verdict.identity();
    }

    private Verdict check(String username, String keyId, String apiKey) throws KeycloakUnavailableException {
        Optional<Owner> found;
        try {
            found = store.find(username);
        } catch (KeycloakRefusedException e) {
            // Keycloak is up and will not look this username up: whatever it is, it names no user a key could be for.
            LOG.debug("API key refused: {}", e.getMessage());
            return new Verdict(null, "lookup refused");
        }
        if (found.isEmpty()) {
            LOG.debug("API key refused: no user '{}' in {}", username, store.describe());
            return new Verdict(null, "no such user");
        }
        Owner owner = found.get();
        if (!owner.enabled()) {
            LOG.debug("API key refused: user '{}' is disabled", username);
            return new Verdict(null, "user disabled");
        }
        Optional<StoredApiKey> stored = keys(owner).stream().filter(k -> k.keyId().equals(keyId)).findFirst();
        if (stored.isEmpty() || !stored.get().matches(apiKey)) {
            LOG.debug("API key {} of user '{}' refused: {}", keyId, username,
                    stored.isEmpty() ? "no such key id" : "wrong secret");
            return new Verdict(null, "wrong key");
        }
        return new Verdict(new Identity(owner.userId(), owner.username(), null), null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Only into an attribute that administrators alone may edit: a key is not created while the realm's user profile
     * lets users edit the attribute (or drops it), nor when the profile cannot be read.
     */
    @Override
    public NewApiKey create(String username) throws ApiKeyManagementException, KeycloakUnavailableException {
        requireAdminOnlyAttribute();
        Owner owner = owner(username);
        Set<String> taken = keys(owner).stream().map(StoredApiKey::keyId).collect(Collectors.toSet());
        String key = ApiKeyFormat.generate(random, taken);
        Instant created = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        StoredApiKey stored = StoredApiKey.of(key, created);
        update(owner, values -> {
            List<String> updated = new ArrayList<>(values);
            updated.add(stored.toAttributeValue());
            return updated;
        });
        LOG.info("Created API key {} for user '{}'", stored.keyId(), owner.username());
        return new NewApiKey(stored.keyId(), key, created);
    }

    @Override
    public List<ApiKeyInfo> list(String username) throws ApiKeyManagementException, KeycloakUnavailableException {
        return keys(owner(username)).stream()
                .map(StoredApiKey::info)
                .sorted(Comparator.comparing(ApiKeyInfo::created).thenComparing(ApiKeyInfo::keyId))
                .toList();
    }

    @Override
    public void revoke(String username, String keyId) throws ApiKeyManagementException, KeycloakUnavailableException {
        Owner owner = owner(username);
        if (keys(owner).stream().noneMatch(k -> k.keyId().equals(keyId))) {
            throw new ApiKeyManagementException("user '" + owner.username() + "' has no API key '" + keyId + "'");
        }
        update(owner, values -> values.stream()
                .filter(value -> StoredApiKey.parse(value).map(k -> !k.keyId().equals(keyId)).orElse(true))
                .toList());
        LOG.info("Revoked API key {} of user '{}'", keyId, owner.username());
    }

    /** Forgets the cached answers. */
    @Override
    public void close() {
        cache.clear();
    }

    private void requireAdminOnlyAttribute() throws ApiKeyManagementException, KeycloakUnavailableException {
        ApiKeyAttributeCheck.Finding finding;
        try {
            finding = store.attributeProtection();
        } catch (KeycloakRefusedException e) {
            throw new ApiKeyManagementException("no key created: cannot check that users cannot edit the attribute '"
                    + ATTRIBUTE + "' in " + store.describe() + ": " + e.getMessage());
        }
        if (!finding.adminOnly()) {
            throw new ApiKeyManagementException("no key created: " + finding.message());
        }
    }

    private Owner owner(String username) throws ApiKeyManagementException, KeycloakUnavailableException {
        if (username == null || username.isBlank()) {
            throw new ApiKeyManagementException("the username is empty");
        }
        String problem = CredentialsParser.usernameProblem(username);
        if (problem != null) {
            throw new ApiKeyManagementException(problem);
        }
        Optional<Owner> found;
        try {
            found = store.find(username.toLowerCase(Locale.ROOT));
        } catch (KeycloakRefusedException e) {
            throw new ApiKeyManagementException(e.getMessage());
        }
        return found.orElseThrow(() -> new ApiKeyManagementException(
                "no user '" + username + "' in " + store.describe()));
    }

    private void update(Owner owner, UnaryOperator<List<String>> change)
            throws ApiKeyManagementException, KeycloakUnavailableException {
        try {
            store.update(owner, change);
        } catch (KeycloakRefusedException e) {
            throw new ApiKeyManagementException(e.getMessage());
        }
    }

    private static List<StoredApiKey> keys(Owner owner) {
        return owner.values().stream().map(StoredApiKey::parse).flatMap(Optional::stream).toList();
    }

    /** The store in Keycloak: the user attribute {@value #ATTRIBUTE}, read and written with the Admin API. */
    static final class KeycloakStore implements Store {

        private final KeycloakAdmin admin;

        KeycloakStore(KeycloakAdmin admin) {
            this.admin = admin;
        }

        @Override
        public Optional<Owner> find(String username) throws KeycloakUnavailableException, KeycloakRefusedException {
            List<UserRepresentation> users = admin.call("look up user '" + username + "'",
                    realm -> realm.users().searchByUsername(username, true));
            return users.stream()
                    .filter(user -> username.equalsIgnoreCase(user.getUsername()))
                    .findFirst()
                    .map(user -> new Owner(user.getId(), user.getUsername(), !Boolean.FALSE.equals(user.isEnabled()),
                            values(user)));
        }

        @Override
        public void update(Owner owner, UnaryOperator<List<String>> change)
                throws KeycloakUnavailableException, KeycloakRefusedException {
            admin.call("update the API keys of user '" + owner.username() + "'", realm -> {
                UserResource resource = realm.users().get(owner.userId());
                UserRepresentation user;
                try {
                    user = resource.toRepresentation();
                } catch (NotFoundException e) {
                    throw new IllegalStateException("user '" + owner.username() + "' was deleted meanwhile", e);
                }
                Map<String, List<String>> attributes = user.getAttributes() == null
                        ? new HashMap<>() : new HashMap<>(user.getAttributes());
                attributes.put(ATTRIBUTE, List.copyOf(change.apply(values(user))));
                user.setAttributes(attributes);
                resource.update(user);
                return null;
            });
        }

        @Override
        public ApiKeyAttributeCheck.Finding attributeProtection()
                throws KeycloakUnavailableException, KeycloakRefusedException {
            return ApiKeyAttributeCheck.check(admin);
        }

        @Override
        public String describe() {
            return "realm '" + admin.settings().realm() + "'";
        }

        private static List<String> values(UserRepresentation user) {
            Map<String, List<String>> attributes = user.getAttributes();
            List<String> values = attributes == null ? null : attributes.get(ATTRIBUTE);
            return values == null ? List.of() : values.stream().filter(Objects::nonNull).toList();
        }
    }
}
