package io.wsbridge.bridge.auth;

import java.util.Set;
import java.util.TreeSet;

/**
 * Development mode without an identity provider: anonymous subscribers may read the listed public applications,
 * every other application is 404, and credentials cannot be verified, so they are refused with 401.
 */
public final class StaticAccessPolicy implements AccessPolicy {

    private final Set<String> publicApplications;

    public StaticAccessPolicy(Set<String> publicApplications) {
        this.publicApplications = Set.copyOf(publicApplications);
    }

    @Override
    public AccessDecision check(Credentials credentials, String application) {
        if (!(credentials instanceof Credentials.Anonymous)) {
            return AccessDecision.unauthorized(
                    "credentials cannot be verified: no identity provider is configured (development mode)");
        }
        return publicApplications.contains(application) ? AccessDecision.ANONYMOUS : AccessDecision.notFound();
    }

    @Override
    public String describe() {
        return "DEVELOPMENT MODE: no identity provider configured; anonymous read access to the public applications "
                + new TreeSet<>(publicApplications) + " only, credentials are refused";
    }
}
