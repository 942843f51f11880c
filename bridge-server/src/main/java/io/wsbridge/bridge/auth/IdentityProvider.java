package io.wsbridge.bridge.auth;

import java.util.Set;

/**
 * An identity provider: how to build the access policy that asks it. Implementations are value objects (equal
 * settings mean the same provider), so a reconfiguration with the same settings keeps the policy and its caches.
 */
public interface IdentityProvider {

    /** Builds the access policy; it owns caches and clients and is closed by the bridge. */
    AccessPolicy accessPolicy(Set<String> staticPublicApplications);

    /** As {@link #accessPolicy(Set)}, telling {@code lookups} of every question it asks the provider. */
    default AccessPolicy accessPolicy(Set<String> staticPublicApplications, LookupListener lookups) {
        return accessPolicy(staticPublicApplications);
    }
}
