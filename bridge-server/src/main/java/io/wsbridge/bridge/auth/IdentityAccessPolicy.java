package io.wsbridge.bridge.auth;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Access through an identity provider: tokens and API keys are verified, and the application directory says which
 * applications exist, which are public and who their members are, and which filters a membership pins (a pin applies
 * to private applications only: whoever may read a public one reads all of it, as anonymous clients do). The static
 * list of public applications still applies on top. Unknown answers while the provider is unreachable fail closed (503, with {@code Retry-After}), and so
 * do answers older than the maximum staleness; a lookup a limit refuses is 429 or 503 with {@code Retry-After}.
 */
public final class IdentityAccessPolicy implements AccessPolicy {

    /** What a client refused because the identity provider cannot answer is told to wait. */
    static final int UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

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
        return check(credentials, application, LookupOrigin.SESSION);
    }

    @Override
    public AccessDecision check(Credentials credentials, String application, LookupOrigin origin) {
        try {
            if (credentials instanceof Credentials.Bearer bearer) {
                return authorize(tokens.verify(bearer.token()), application, origin);
            }
            if (credentials instanceof Credentials.ApiKey key) {
                return authorize(apiKeys.verify(key.username(), key.key(), origin), application, origin);
            }
            if (staticPublic.contains(application)
                    || directory.visibility(application, origin) == ApplicationDirectory.Visibility.PUBLIC) {
                return AccessDecision.ANONYMOUS;
            }
            return AccessDecision.notFound();
        } catch (InvalidCredentialsException e) {
            return AccessDecision.unauthorized(e.getMessage());
        } catch (LookupRefusedException e) {
            return AccessDecision.lookupRefused(e);
        } catch (AnswerTooOldException e) {
            return AccessDecision.answersTooOld(e.getMessage(), UNAVAILABLE_RETRY_AFTER_SECONDS);
        } catch (IdentityUnavailableException e) {
            return AccessDecision.unavailable(e.getMessage(), UNAVAILABLE_RETRY_AFTER_SECONDS);
        }
    }

    private AccessDecision authorize(Identity identity, String application, LookupOrigin origin)
            throws IdentityUnavailableException {
        if (staticPublic.contains(application)) {
            return AccessDecision.allow(identity);
        }
        return switch (directory.visibility(application, origin)) {
            case UNKNOWN -> AccessDecision.notFound();
            case PUBLIC -> AccessDecision.allow(identity);
            case PRIVATE -> {
                Membership membership = directory.membership(identity.userId(), application, origin);
                yield membership.member() ? AccessDecision.allow(identity, membership) : AccessDecision.notFound();
            }
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
