package io.wsbridge.bridge.auth.keycloak;

import io.wsbridge.bridge.auth.ApplicationDirectory;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import io.wsbridge.bridge.auth.LookupListener;
import io.wsbridge.bridge.auth.LookupOrigin;
import io.wsbridge.bridge.auth.Membership;
import jakarta.ws.rs.NotFoundException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.GroupRepresentation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applications as Keycloak groups: application {@code app} is the group {@code <applicationsGroup>/app}; it is
 * {@link Visibility#PUBLIC} if the group attribute {@code public} is {@code true}, {@link Visibility#PRIVATE}
 * otherwise, {@link Visibility#UNKNOWN} if there is no such group. Members of the group, or of one of its subgroups,
 * may read the application; a subgroup's attribute {@code filter} pins a filter on its members ({@link GroupPins}).
 *
 * <p>Keycloak refusing a lookup (a 4xx answer) means no such application, or no membership: never access, and not an
 * outage either.
 *
 * <p>One cached answer per application and per (user, application), for the settings' TTL (negative ones for their
 * shorter TTL), served beyond it while Keycloak cannot answer, up to the maximum staleness: a membership's answer holds
 * its pinned filters, so routing never asks Keycloak, and a changed pin is seen once the answer expires. A membership
 * lookup is one question (its pages of the user's groups, with their attributes), and for a membership of a nested
 * subgroup one read of each group between it and the application's group. Misses of clients' upgrades are held by the
 * {@link LookupLimiter}. Does not own the {@link KeycloakAdmin}.
 */
public final class KeycloakApplicationDirectory implements ApplicationDirectory {

    /** The group attribute that makes an application readable by anonymous clients. */
    public static final String PUBLIC_ATTRIBUTE = "public";

    private static final int MAX_APPLICATION_LENGTH = 255;

    private static final Logger LOG = LoggerFactory.getLogger(KeycloakApplicationDirectory.class);

    /** Where the groups live. */
    interface Groups {
        /** A refusal (4xx) of the lookup is {@link Visibility#UNKNOWN}: no such application, as far as anyone knows. */
        Visibility visibility(String groupPath) throws KeycloakUnavailableException;

        /** A refusal (4xx) of the lookup is no membership. */
        Membership membership(String userId, String groupPath) throws KeycloakUnavailableException;

        /** Whether Keycloak answered the last question (of any kind: API keys share the Admin client). */
        boolean reachable();
    }

    private final Groups groups;
    private final KeycloakSettings settings;
    private final AnswerCache<String, Visibility> visibilities;
    private final AnswerCache<String, Membership> memberships;

    /** The {@code kind} of application lookups, for {@link LookupListener}. */
    public static final String APPLICATION_LOOKUP = "application";
    /** The {@code kind} of membership lookups, for {@link LookupListener}. */
    public static final String MEMBERSHIP_LOOKUP = "membership";

    KeycloakApplicationDirectory(KeycloakAdmin admin, LookupLimiter limiter, LookupListener listener) {
        this(new KeycloakGroups(admin), admin.settings(), limiter, listener, System::nanoTime);
    }

    KeycloakApplicationDirectory(Groups groups, KeycloakSettings settings, LookupLimiter limiter,
            LookupListener listener, LongSupplier nanoClock) {
        this.groups = groups;
        this.settings = settings;
        this.visibilities = new AnswerCache<>(settings, visibility -> visibility == Visibility.UNKNOWN, limiter,
                () -> listener.lookedUp(APPLICATION_LOOKUP), nanoClock);
        this.memberships = new AnswerCache<>(settings, membership -> !membership.member(), limiter,
                () -> listener.lookedUp(MEMBERSHIP_LOOKUP), nanoClock);
    }

    @Override
    public Visibility visibility(String application) throws IdentityUnavailableException {
        return visibility(application, LookupOrigin.SESSION);
    }

    @Override
    public Visibility visibility(String application, LookupOrigin origin) throws IdentityUnavailableException {
        if (!isApplicationName(application)) {
            return Visibility.UNKNOWN;
        }
        String path = settings.applicationGroupPath(application);
        return visibilities.get(application, origin, () -> groups.visibility(path));
    }

    @Override
    public Membership membership(String userId, String application) throws IdentityUnavailableException {
        return membership(userId, application, LookupOrigin.SESSION);
    }

    @Override
    public Membership membership(String userId, String application, LookupOrigin origin)
            throws IdentityUnavailableException {
        if (userId == null || userId.isBlank() || !isApplicationName(application)) {
            return Membership.NONE;
        }
        String path = settings.applicationGroupPath(application);
        return memberships.get(userId + '\n' + application, origin, () -> groups.membership(userId, path));
    }

    /** Whether Keycloak answered the last time the Admin client asked it: {@code /readyz} says 503 otherwise. */
    @Override
    public boolean reachable() {
        return groups.reachable();
    }

    /** Forgets the cached answers. */
    @Override
    public void close() {
        visibilities.clear();
        memberships.clear();
    }

    /**
     * One path segment naming a direct subgroup: no slash (it would reach into another group), no dot segments, no
     * control characters.
     */
    static boolean isApplicationName(String application) {
        if (application == null || application.isBlank() || application.length() > MAX_APPLICATION_LENGTH
                || application.equals(".") || application.equals("..")) {
            return false;
        }
        return application.chars().noneMatch(c -> c == '/' || Character.isISOControl(c));
    }

    /** The groups in Keycloak, read with the Admin API. */
    static final class KeycloakGroups implements Groups {

        private static final int PAGE = 100;

        private final KeycloakAdmin admin;

        KeycloakGroups(KeycloakAdmin admin) {
            this.admin = admin;
        }

        @Override
        public Visibility visibility(String groupPath) throws KeycloakUnavailableException {
            try {
                return admin.call("read group " + groupPath, realm -> {
                    GroupRepresentation group;
                    try {
                        group = realm.getGroupByPath(groupPath);
                    } catch (NotFoundException e) {
                        return Visibility.UNKNOWN;
                    }
                    return isPublic(group.getAttributes()) ? Visibility.PUBLIC : Visibility.PRIVATE;
                });
            } catch (KeycloakRefusedException e) {
                LOG.debug("Application lookup refused, answering 'no such application': {}", e.getMessage());
                return Visibility.UNKNOWN;
            }
        }

        @Override
        public Membership membership(String userId, String groupPath) throws KeycloakUnavailableException {
            try {
                return membershipOf(userId, groupPath);
            } catch (KeycloakRefusedException e) {
                LOG.debug("Membership lookup refused, answering 'no member': {}", e.getMessage());
                return Membership.NONE;
            }
        }

        /**
         * Reads every page of the user's groups (a membership without a pin may come after one with a pin), with
         * their attributes, and the groups between the application's group and a nested membership.
         */
        private Membership membershipOf(String userId, String groupPath)
                throws KeycloakUnavailableException, KeycloakRefusedException {
            return admin.call("read the groups of user " + userId, realm -> {
                UserResource user = realm.users().get(userId);
                String subgroups = groupPath + "/";
                Map<String, Map<String, List<String>>> within = new LinkedHashMap<>();
                try {
                    for (int first = 0; ; first += PAGE) {
                        List<GroupRepresentation> page = user.groups(first, PAGE, false);
                        for (GroupRepresentation group : page) {
                            String path = group.getPath();
                            if (path != null && (path.equals(groupPath) || path.startsWith(subgroups))) {
                                within.put(path, group.getAttributes() == null ? Map.of() : group.getAttributes());
                            }
                        }
                        if (page.size() < PAGE) {
                            break;
                        }
                    }
                } catch (NotFoundException e) {
                    return Membership.NONE;
                }
                if (within.containsKey(groupPath)) {
                    return Membership.FULL; // the application's own group: everything, whatever else
                }
                return GroupPins.membership(groupPath, within, path -> {
                    try {
                        Map<String, List<String>> attributes = realm.getGroupByPath(path).getAttributes();
                        return attributes == null ? Map.of() : attributes;
                    } catch (NotFoundException e) {
                        return null; // removed meanwhile: its subgroups' memberships grant nothing
                    }
                });
            });
        }

        @Override
        public boolean reachable() {
            return admin.reachable();
        }

        static boolean isPublic(Map<String, List<String>> attributes) {
            List<String> values = attributes == null ? null : attributes.get(PUBLIC_ATTRIBUTE);
            return values != null && values.stream().anyMatch(v -> v != null && v.trim().equalsIgnoreCase("true"));
        }
    }
}
