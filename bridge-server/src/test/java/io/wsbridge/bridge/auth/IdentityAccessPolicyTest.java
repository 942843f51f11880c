package io.wsbridge.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdentityAccessPolicyTest {

    static final Instant EXPIRY = Instant.parse("2030-01-01T00:00:00Z");

    boolean down;

    final TokenVerifier tokens = token -> {
        if (down && !token.equals("cached")) {
            throw new IdentityUnavailableException("keys unreachable", null);
        }
        return switch (token) {
            case "alice", "cached" -> new Identity("id-alice", "alice", EXPIRY);
            case "bob" -> new Identity("id-bob", "bob", EXPIRY);
            case "carol" -> new Identity("id-carol", "carol", EXPIRY);
            default -> throw new InvalidCredentialsException("token signature is not valid");
        };
    };

    final ApiKeyVerifier keys = (username, key) -> {
        if (username.equals("alice") && key.equals("good")) {
            return new Identity("id-alice", "alice", null);
        }
        throw new InvalidCredentialsException("API key is not valid");
    };

    final ApplicationDirectory directory = new ApplicationDirectory() {
        final Map<String, Visibility> apps = Map.of("public-app", Visibility.PUBLIC, "private-app", Visibility.PRIVATE);

        @Override
        public Visibility visibility(String application) throws IdentityUnavailableException {
            if (down) {
                throw new IdentityUnavailableException("Keycloak unreachable", null);
            }
            return apps.getOrDefault(application, Visibility.UNKNOWN);
        }

        @Override
        public Membership membership(String userId, String application) {
            if (!application.equals("private-app")) {
                return Membership.NONE;
            }
            return switch (userId) {
                case "id-alice" -> Membership.FULL;
                case "id-carol" -> Membership.pinned("site = 'north'");
                default -> Membership.NONE;
            };
        }
    };

    final IdentityAccessPolicy policy = new IdentityAccessPolicy(Set.of("static-app"), tokens, keys, directory,
            "test");

    static final Credentials ANONYMOUS = Credentials.ANONYMOUS;

    int status(Credentials credentials, String application) {
        return policy.check(credentials, application).status();
    }

    @Test
    void anonymousReadsPublicApplicationsOnly() {
        assertThat(status(ANONYMOUS, "public-app")).isEqualTo(200);
        assertThat(status(ANONYMOUS, "static-app")).isEqualTo(200);
        assertThat(status(ANONYMOUS, "private-app")).isEqualTo(404);
        assertThat(status(ANONYMOUS, "no-such-app")).isEqualTo(404);
    }

    @Test
    void memberReadsItsPrivateApplicationWithTokenOrKey() {
        AccessDecision byToken = policy.check(new Credentials.Bearer("alice"), "private-app");
        assertThat(byToken).isEqualTo(new AccessDecision(200, "alice", false, EXPIRY, null));
        assertThat(status(new Credentials.ApiKey("alice", "good"), "private-app")).isEqualTo(200);
        assertThat(policy.check(new Credentials.ApiKey("alice", "good"), "private-app").expiresAt()).isNull();
    }

    @Test
    void aMemberOfAGroupThatPinsAFilterIsAllowedWithThatFilterAndAFullMemberWithout() {
        AccessDecision carol = policy.check(new Credentials.Bearer("carol"), "private-app");
        assertThat(carol).isEqualTo(new AccessDecision(200, "carol", false, EXPIRY, null, null, 0,
                List.of("site = 'north'")));
        assertThat(carol.pinned()).isTrue();
        AccessDecision alice = policy.check(new Credentials.Bearer("alice"), "private-app");
        assertThat(alice.pinnedFilters()).isEmpty();
        assertThat(alice.pinned()).isFalse();
    }

    @Test
    void aPinAppliesToPrivateApplicationsOnlyWhoMayReadAPublicOneReadsAllOfIt() {
        assertThat(policy.check(new Credentials.Bearer("carol"), "public-app").pinnedFilters()).isEmpty();
        assertThat(policy.check(new Credentials.Bearer("carol"), "static-app").pinnedFilters()).isEmpty();
    }

    @Test
    void nonMemberGets404ForPrivateAndUnknownApplications() {
        assertThat(status(new Credentials.Bearer("bob"), "private-app")).isEqualTo(404);
        assertThat(status(new Credentials.Bearer("bob"), "no-such-app")).isEqualTo(404);
        assertThat(status(new Credentials.Bearer("bob"), "public-app")).isEqualTo(200);
        assertThat(status(new Credentials.Bearer("bob"), "static-app")).isEqualTo(200);
    }

    @Test
    void badCredentialsAre401WhateverTheApplication() {
        for (String app : new String[] {"public-app", "private-app", "no-such-app", "static-app"}) {
            assertThat(policy.check(new Credentials.Bearer("forged"), app))
                    .isEqualTo(AccessDecision.unauthorized("token signature is not valid"));
            assertThat(status(new Credentials.ApiKey("alice", "wrong"), app)).isEqualTo(401);
        }
    }

    @Test
    void unknownAnswersDuringAnOutageAre503() {
        down = true;
        assertThat(status(ANONYMOUS, "public-app")).isEqualTo(503);
        assertThat(status(new Credentials.Bearer("alice"), "private-app")).isEqualTo(503);
        assertThat(status(ANONYMOUS, "static-app")).isEqualTo(200);
        assertThat(status(new Credentials.Bearer("cached"), "static-app")).isEqualTo(200);
    }

    @Test
    void theOriginReachesTheDirectoryAndLimitsAndStaleAnswersBecomeRefusalsWithRetryAfter() throws Exception {
        LookupOrigin client = LookupOrigin.client(InetAddress.getLoopbackAddress());
        ApplicationDirectory limited = new ApplicationDirectory() {
            @Override
            public Visibility visibility(String application) {
                throw new AssertionError("asked without the origin");
            }

            @Override
            public Visibility visibility(String application, LookupOrigin origin) throws IdentityUnavailableException {
                return switch (application) {
                    case "flooded" -> throw new LookupRefusedException(429,
                            LookupRefusedException.TOO_MANY_FROM_ADDRESS,
                            "too many lookups from your address: try again later", 3);
                    case "too-old" -> throw new AnswerTooOldException("answer too old", null);
                    case "down" -> throw new IdentityUnavailableException("Keycloak unreachable", null);
                    default -> origin.equals(client) ? Visibility.PUBLIC : Visibility.UNKNOWN;
                };
            }

            @Override
            public Membership membership(String userId, String application) {
                return Membership.NONE;
            }
        };
        IdentityAccessPolicy policy = new IdentityAccessPolicy(Set.of(), tokens, keys, limited, "test");

        assertThat(policy.check(ANONYMOUS, "app", client).status()).isEqualTo(200);
        assertThat(policy.check(ANONYMOUS, "app").status()).as("a session check").isEqualTo(404);
        assertThat(policy.check(ANONYMOUS, "flooded", client)).isEqualTo(new AccessDecision(429, null, false, null,
                "too many lookups from your address: try again later", "too_many_lookups_from_address", 3));
        assertThat(policy.check(ANONYMOUS, "too-old", client)).isEqualTo(new AccessDecision(503, null, false, null,
                "answer too old", AccessDecision.ANSWERS_TOO_OLD, 5));
        assertThat(policy.check(ANONYMOUS, "down", client)).isEqualTo(new AccessDecision(503, null, false, null,
                "Keycloak unreachable", AccessDecision.UNAVAILABLE, 5));
    }
}
