package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.auth.ApplicationDirectory.Visibility;
import io.wsbridge.bridge.auth.IdentityUnavailableException;
import io.wsbridge.bridge.auth.LookupListener;
import io.wsbridge.bridge.auth.Membership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeycloakApplicationDirectoryTest {

    static final Duration TTL = Duration.ofSeconds(30);

    /** Groups by path and their members; records what was asked; can be switched off. */
    static final class FakeGroups implements KeycloakApplicationDirectory.Groups {
        final Map<String, Visibility> groups = new HashMap<>();
        final Map<String, Set<String>> members = new HashMap<>();
        /** Memberships with pins, by group path and user id. */
        final Map<String, Map<String, Membership>> pinned = new HashMap<>();
        final List<String> asked = new ArrayList<>();
        boolean down;
        boolean answeredLast = true;

        @Override
        public Visibility visibility(String groupPath) throws KeycloakUnavailableException {
            ask("visibility " + groupPath);
            return groups.getOrDefault(groupPath, Visibility.UNKNOWN);
        }

        @Override
        public Membership membership(String userId, String groupPath) throws KeycloakUnavailableException {
            ask("member " + userId + " " + groupPath);
            if (members.getOrDefault(groupPath, Set.of()).contains(userId)) {
                return Membership.FULL;
            }
            return pinned.getOrDefault(groupPath, Map.of()).getOrDefault(userId, Membership.NONE);
        }

        @Override
        public boolean reachable() {
            return answeredLast;
        }

        private void ask(String question) throws KeycloakUnavailableException {
            asked.add(question);
            answeredLast = !down;
            if (down) {
                throw new KeycloakUnavailableException("Keycloak at http://kc did not answer within 5 s", null);
            }
        }
    }

    final FakeGroups groups = new FakeGroups();
    final FakeClock nanos = new FakeClock();
    final List<String> lookups = new ArrayList<>();
    final KeycloakApplicationDirectory directory = directory(
            KeycloakSettings.of("http://kc", "wsbridge", "wsbridge-bridge", "s3cret").withCacheTtl(TTL));

    KeycloakApplicationDirectory directory(KeycloakSettings settings) {
        return new KeycloakApplicationDirectory(groups, settings, new LookupLimiter(settings.lookups(), nanos),
                lookups::add, nanos);
    }

    KeycloakApplicationDirectoryTest() {
        groups.groups.put("/applications/drogue-public-temperature", Visibility.PUBLIC);
        groups.groups.put("/applications/acme-private", Visibility.PRIVATE);
        groups.members.put("/applications/acme-private", Set.of("id-alice"));
    }

    @Test
    void readinessFollowsWhetherKeycloakAnsweredTheLastQuestion() throws Exception {
        assertThat(directory.reachable()).as("before any question").isTrue();
        directory.visibility("drogue-public-temperature");
        nanos.advance(TTL);
        groups.down = true;

        assertThat(directory.visibility("drogue-public-temperature")).as("stale answer").isEqualTo(Visibility.PUBLIC);
        assertThat(directory.reachable()).isFalse();

        groups.down = false;
        directory.visibility("acme-private");
        assertThat(directory.reachable()).isTrue();
    }

    @Test
    void aMadeUpNameIsAskedOnceWithinTheNegativeTimeToLiveAndEachQuestionIsCountedByKind() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(directory.visibility("made-up")).isEqualTo(Visibility.UNKNOWN);
            assertThat(directory.membership("id-bob", "acme-private").member()).isFalse();
        }
        assertThat(lookups).containsExactly("application", "membership");

        nanos.advance(KeycloakSettings.DEFAULT_NEGATIVE_CACHE_TTL);
        directory.visibility("made-up");
        directory.visibility("acme-private");
        directory.visibility("acme-private");
        assertThat(lookups).containsExactly("application", "membership", "application", "application");
    }

    @Test
    void anApplicationIsASubgroupOfTheApplicationsGroup() throws Exception {
        assertThat(directory.visibility("drogue-public-temperature")).isEqualTo(Visibility.PUBLIC);
        assertThat(directory.visibility("acme-private")).isEqualTo(Visibility.PRIVATE);
        assertThat(directory.visibility("nope")).isEqualTo(Visibility.UNKNOWN);
        assertThat(groups.asked).containsExactly("visibility /applications/drogue-public-temperature",
                "visibility /applications/acme-private", "visibility /applications/nope");
    }

    @Test
    void theApplicationsGroupIsConfigurable() throws Exception {
        KeycloakApplicationDirectory tenants = directory(
                KeycloakSettings.of("http://kc", "wsbridge", "c", "s").withApplicationsGroup("tenants/acme/"));

        tenants.visibility("app");

        assertThat(groups.asked).containsExactly("visibility /tenants/acme/app");
    }

    @Test
    void membersOfTheGroupAreMembersOfTheApplication() throws Exception {
        assertThat(directory.membership("id-alice", "acme-private").member()).isTrue();
        assertThat(directory.membership("id-bob", "acme-private").member()).isFalse();
        assertThat(directory.membership("id-alice", "drogue-public-temperature").member()).isFalse();
    }

    @Test
    void namesThatAreNotOneGroupNameAreUnknownWithoutAskingKeycloak() throws Exception {
        for (String name : new String[] {"", " ", "..", ".", "a/b", "../acme-private", "tab\there", "x".repeat(256)}) {
            assertThat(directory.visibility(name)).as(name).isEqualTo(Visibility.UNKNOWN);
            assertThat(directory.membership("id-alice", name).member()).as(name).isFalse();
        }
        assertThat(directory.visibility(null)).isEqualTo(Visibility.UNKNOWN);
        assertThat(directory.membership(null, "acme-private").member()).isFalse();
        assertThat(groups.asked).isEmpty();
    }

    @Test
    void namesWithSpacesAndSymbolsAreAsked() throws Exception {
        directory.visibility("with space+plus%41?#");

        assertThat(groups.asked).containsExactly("visibility /applications/with space+plus%41?#");
    }

    @Test
    void oneAnswerPerApplicationAndPerUserAndApplicationIsCached() throws Exception {
        for (int i = 0; i < 3; i++) {
            directory.visibility("acme-private");
            directory.membership("id-alice", "acme-private").member();
            directory.membership("id-bob", "acme-private").member();
        }

        assertThat(groups.asked).hasSize(3);
    }

    @Test
    void aChangeIsSeenOnceTheTimeToLivePassed() throws Exception {
        directory.visibility("acme-private");
        directory.membership("id-alice", "acme-private").member();
        groups.groups.put("/applications/acme-private", Visibility.PUBLIC);
        groups.members.put("/applications/acme-private", Set.of());

        nanos.advance(TTL);

        assertThat(directory.visibility("acme-private")).isEqualTo(Visibility.PUBLIC);
        assertThat(directory.membership("id-alice", "acme-private").member()).isFalse();
    }

    @Test
    void whileKeycloakIsDownCachedAnswersServeAndUnknownOnesFailClosed() throws Exception {
        directory.visibility("acme-private");
        directory.visibility("nope");
        directory.membership("id-alice", "acme-private").member();
        groups.down = true;
        nanos.advance(TTL.multipliedBy(10));

        assertThat(directory.visibility("acme-private")).isEqualTo(Visibility.PRIVATE);
        assertThat(directory.visibility("nope")).isEqualTo(Visibility.UNKNOWN);
        assertThat(directory.membership("id-alice", "acme-private").member()).isTrue();
        assertThatThrownBy(() -> directory.visibility("drogue-public-temperature"))
                .isInstanceOf(IdentityUnavailableException.class)
                .hasMessage("Keycloak at http://kc did not answer within 5 s");
        assertThatThrownBy(() -> directory.membership("id-bob", "acme-private").member())
                .isInstanceOf(IdentityUnavailableException.class)
                .hasMessage("Keycloak at http://kc did not answer within 5 s");

        groups.down = false;
        assertThat(directory.visibility("drogue-public-temperature")).isEqualTo(Visibility.PUBLIC);
    }

    @Test
    void lookupsKeycloakRefusesAreNoApplicationAndNoMemberAndKeycloakStaysReachable() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings().withRetryBackoff(Duration.ofMinutes(1)))) {
            KeycloakApplicationDirectory real = new KeycloakApplicationDirectory(admin,
                    new LookupLimiter(admin.settings().lookups(), System::nanoTime), LookupListener.NONE);
            keycloak.answer(400, null);

            assertThat(real.visibility("acme-private")).isEqualTo(Visibility.UNKNOWN);
            assertThat(real.membership("id-alice", "acme-private").member()).isFalse();
            assertThat(real.reachable()).isTrue();
            assertThat(keycloak.calls()).isEqualTo(2);
        }
    }

    @Test
    void aLookupKeycloakCannotAnswerStillFailsClosed() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings())) {
            KeycloakApplicationDirectory real = new KeycloakApplicationDirectory(admin,
                    new LookupLimiter(admin.settings().lookups(), System::nanoTime), LookupListener.NONE);
            keycloak.answer(503, null);

            assertThatThrownBy(() -> real.visibility("acme-private"))
                    .isInstanceOf(IdentityUnavailableException.class)
                    .hasMessage("Keycloak at " + keycloak.settings().url() + " answered HTTP 503 to read group"
                            + " /applications/acme-private");
            assertThat(real.reachable()).isFalse();
        }
    }

    @Test
    void aPinnedMembershipIsOneCachedAnswerCountedAsAMembershipLookupAndAChangedPinIsSeenAfterTheTimeToLive()
            throws Exception {
        groups.pinned.put("/applications/acme-private", Map.of("id-carol", Membership.pinned("site = 'north'")));
        for (int i = 0; i < 5; i++) {
            assertThat(directory.membership("id-carol", "acme-private")).isEqualTo(Membership.pinned("site = 'north'"));
        }
        assertThat(lookups).containsExactly("membership");

        groups.pinned.put("/applications/acme-private", Map.of("id-carol", Membership.pinned("site = 'south'")));
        assertThat(directory.membership("id-carol", "acme-private").pinnedFilters()).as("cached")
                .containsExactly("site = 'north'");
        nanos.advance(TTL);
        assertThat(directory.membership("id-carol", "acme-private").pinnedFilters()).containsExactly("site = 'south'");
        assertThat(lookups).containsExactly("membership", "membership");
    }

    @Test
    void whileKeycloakIsDownACachedPinKeepsServing() throws Exception {
        groups.pinned.put("/applications/acme-private", Map.of("id-carol", Membership.pinned("site = 'north'")));
        directory.membership("id-carol", "acme-private");
        groups.down = true;
        nanos.advance(TTL.multipliedBy(2));

        assertThat(directory.membership("id-carol", "acme-private")).isEqualTo(Membership.pinned("site = 'north'"));
    }

    @Test
    void theUsersGroupsAreReadWithTheirAttributesAndTheParentsOfANestedMembership() throws Exception {
        try (KeycloakStub keycloak = KeycloakStub.start();
             KeycloakAdmin admin = new KeycloakAdmin(keycloak.settings())) {
            KeycloakApplicationDirectory real = new KeycloakApplicationDirectory(admin,
                    new LookupLimiter(admin.settings().lookups(), System::nanoTime), LookupListener.NONE);
            keycloak.answer("/users/id-carol/groups", "[{\"id\":\"g1\",\"name\":\"north\","
                    + "\"path\":\"/applications/acme/north\",\"attributes\":{\"filter\":[\"site = 'north'\"]}},"
                    + "{\"id\":\"g2\",\"name\":\"team\",\"path\":\"/applications/acme/south/team\"},"
                    + "{\"id\":\"g3\",\"name\":\"other\",\"path\":\"/applications/other\"}]");
            keycloak.answer("/group-by-path/applications/acme/south", "{\"id\":\"g4\",\"name\":\"south\","
                    + "\"path\":\"/applications/acme/south\",\"attributes\":{\"filter\":[\"site = 'south'\"]}}");
            keycloak.answer("/users/id-dave/groups", "[{\"id\":\"g1\",\"name\":\"north\","
                    + "\"path\":\"/applications/acme/north\",\"attributes\":{\"filter\":[\"site = 'north'\"]}},"
                    + "{\"id\":\"g5\",\"name\":\"acme\",\"path\":\"/applications/acme\"}]");

            assertThat(real.membership("id-carol", "acme").pinnedFilters())
                    .containsExactly("site = 'north'", "site = 'south'");
            assertThat(real.membership("id-dave", "acme")).as("the application's group itself: everything")
                    .isEqualTo(Membership.FULL);
            assertThat(real.membership("id-carol", "other")).isEqualTo(Membership.FULL);
            assertThat(keycloak.requests()).filteredOn(request -> request.startsWith("/users/"))
                    .allSatisfy(request -> assertThat(request).contains("briefRepresentation=false"));
            assertThat(keycloak.requests()).filteredOn(request -> request.startsWith("/group-by-path/"))
                    .containsExactly("/group-by-path/applications/acme/south");
        }
    }

    @Test
    void theGroupAttributePublicTrueMakesAnApplicationPublic() {
        assertThat(KeycloakApplicationDirectory.KeycloakGroups.isPublic(Map.of("public", List.of("true")))).isTrue();
        assertThat(KeycloakApplicationDirectory.KeycloakGroups.isPublic(Map.of("public", List.of(" TRUE ")))).isTrue();
        assertThat(KeycloakApplicationDirectory.KeycloakGroups.isPublic(Map.of("public", List.of("false")))).isFalse();
        assertThat(KeycloakApplicationDirectory.KeycloakGroups.isPublic(Map.of("public", List.of("yes")))).isFalse();
        assertThat(KeycloakApplicationDirectory.KeycloakGroups.isPublic(Map.of())).isFalse();
        assertThat(KeycloakApplicationDirectory.KeycloakGroups.isPublic(null)).isFalse();
    }
}
