package io.wsbridge.bridge.auth;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Access through an identity provider: tokens and API keys are verified, and the application directory says which
 * applications exist, which are public and who their members are. The static list of public applications still
 * applies on top. Unknown answers while the provider is unreachable fail closed (503).
 */
public final class IdentityAccessPolicy implements AccessPolicy {

    private final Set<String> staticPublic;
    private final TokenVerifier tokens;
    private final ApiKeyVerifier apiKeys;
    private final ApplicationDirectory directory;
    private final String description;
    private final AutoCloseable client;
    private final Consumer<String> setupCheck;

    public IdentityAccessPolicy(Set<String> staticPublic, TokenVerifier tokens, ApiKeyVerifier apiKeys,
            ApplicationDirectory directory, String description) {
        this(staticPublic, tokens, apiKeys, directory, description, () -> { });
    }

    /** @param client what the verifiers share with the identity provider (a connection), closed last */
    public IdentityAccessPolicy(Set<String> staticPublic, TokenVerifier tokens, ApiKeyVerifier apiKeys,
            ApplicationDirectory directory, String description, AutoCloseable client) {
        this(staticPublic, tokens, apiKeys, directory, description, client, bridge -> { });
    }

    /** @param setupCheck what {@link #checkSetup(String)} runs */
    public IdentityAccessPolicy(Set<String> staticPublic, TokenVerifier tokens, ApiKeyVerifier apiKeys,
            ApplicationDirectory directory, String description, AutoCloseable client, Consumer<String> setupCheck) {
        this.setupCheck = setupCheck;
        this.staticPublic = Set.copyOf(staticPublic);
        this.tokens = tokens;
        this.apiKeys = apiKeys;
        this.directory = directory;
        this.description = description;
        this.client = client;
    }

    @Override
    public AccessDecision check(Credentials credentials, String application) {
        try {
            if (credentials instanceof Credentials.Bearer bearer) {
                return authorize(tokens.verify(bearer.token()), application);
            }
            if (credentials instanceof Credentials.ApiKey key) {
                return authorize(apiKeys.verify(key.username(), key.key()), application);
            }
            if (staticPublic.contains(application)
                    || directory.visibility(application) == ApplicationDirectory.Visibility.PUBLIC) {
                return AccessDecision.ANONYMOUS;
            }
            return AccessDecision.notFound();
        } catch (InvalidCredentialsException e) {
            return AccessDecision.unauthorized(e.getMessage());
        } catch (IdentityUnavailableException e) {
            return AccessDecision.unavailable(e.getMessage());
        }
    }

    private AccessDecision authorize(Identity identity, String application) throws IdentityUnavailableException {
        if (staticPublic.contains(application)) {
            return AccessDecision.allow(identity);
        }
        return switch (directory.visibility(application)) {
            case UNKNOWN -> AccessDecision.notFound();
            case PUBLIC -> AccessDecision.allow(identity);
            case PRIVATE -> directory.isMember(identity.userId(), application)
                    ? AccessDecision.allow(identity) : AccessDecision.notFound();
        };
    }

    @Override
    public boolean ready() {
        return directory.reachable();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void checkSetup(String bridge) {
        setupCheck.accept(bridge);
    }

    @Override
    public void close() {
        tokens.close();
        apiKeys.close();
        directory.close();
        try {
            client.close();
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(IdentityAccessPolicy.class).warn("Closing the identity client failed", e);
        }
    }
}
