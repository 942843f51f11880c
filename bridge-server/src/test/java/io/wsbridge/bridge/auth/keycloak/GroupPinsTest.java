package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.auth.Membership;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupPinsTest {

    static final String APP = "/applications/acme";

    /** The user's groups, in the order Keycloak lists them. */
    final Map<String, Map<String, List<String>>> groups = new LinkedHashMap<>();
    /** Every group of the realm that is not one of the user's, for the reads of a nested membership's parents. */
    final Map<String, Map<String, List<String>>> realm = new HashMap<>();
    final List<String> parentsRead = new ArrayList<>();

    Membership membership() {
        return GroupPins.membership(APP, groups, path -> {
            parentsRead.add(path);
            return realm.get(path);
        });
    }

    static Map<String, List<String>> filter(String... values) {
        return Map.of("filter", List.of(values));
    }

    @Test
    void theApplicationsGroupAndSubgroupsWithoutAFilterReadEverything() {
        groups.put(APP, Map.of());
        assertThat(membership()).isEqualTo(Membership.FULL);

        groups.clear();
        groups.put(APP + "/staff", Map.of("colour", List.of("blue")));
        assertThat(membership()).isEqualTo(Membership.FULL);
    }

    @Test
    void aSubgroupsFilterAttributePinsItsMembers() {
        groups.put(APP + "/site-north", filter("site = 'north'"));

        assertThat(membership()).isEqualTo(Membership.pinned("site = 'north'"));
        assertThat(parentsRead).as("a direct subgroup has no parent to read").isEmpty();
    }

    @Test
    void noGroupOfTheApplicationIsNoMembershipAndOtherApplicationsDoNotCount() {
        groups.put("/applications/acme-other", Map.of());
        groups.put("/applications/acmesite/x", Map.of());
        groups.put("/staff", Map.of());

        assertThat(membership()).isEqualTo(Membership.NONE);
    }

    @Test
    void aParentsPinAppliesToTheMembersOfItsSubgroupsWithTheirOwn() {
        realm.put(APP + "/tenant-a", filter("tenant = 'a'"));
        realm.put(APP + "/tenant-a/sites", Map.of());
        groups.put(APP + "/tenant-a/sites/north", filter("site = 'north'"));

        assertThat(membership()).isEqualTo(Membership.pinned("(tenant = 'a') AND (site = 'north')"));
        assertThat(parentsRead).containsExactly(APP + "/tenant-a", APP + "/tenant-a/sites");

        groups.clear();
        groups.put(APP + "/tenant-a/sites/anywhere", Map.of());
        assertThat(membership()).as("a subgroup without a pin of its own keeps its parent's")
                .isEqualTo(Membership.pinned("tenant = 'a'"));
    }

    @Test
    void severalValuesOfTheAttributeAllApply() {
        groups.put(APP + "/north-alarms", filter("site = 'north'", "subject = 'alarm'"));

        assertThat(membership()).isEqualTo(Membership.pinned("(site = 'north') AND (subject = 'alarm')"));
    }

    @Test
    void severalPinnedGroupsLetThroughWhatAnyOfThemPinsAndOneWithoutAPinWins() {
        groups.put(APP + "/south", filter("site = 'south'"));
        groups.put(APP + "/north", filter("site = 'north'"));
        groups.put(APP + "/north-again", filter("site = 'north'"));

        assertThat(membership().pinnedFilters()).as("distinct, in a fixed order")
                .containsExactly("site = 'north'", "site = 'south'");

        groups.put(APP + "/staff", Map.of());
        assertThat(membership()).isEqualTo(Membership.FULL);
    }

    @Test
    void theApplicationsGroupsOwnFilterAttributeIsNotAPin() {
        groups.put(APP, filter("site = 'north'"));

        assertThat(membership()).isEqualTo(Membership.FULL);
    }

    @Test
    void aGroupWhosePinIsNotValidGrantsNothingFailClosedAndOthersStillDo() {
        for (Map<String, List<String>> invalid : List.of(filter("site = "), filter(" "), filter(),
                filter("site = 'north'", "true) OR (true"))) {
            groups.clear();
            groups.put(APP + "/broken", invalid);
            assertThat(membership()).as(invalid.toString()).isEqualTo(Membership.NONE);
        }

        groups.put(APP + "/north", filter("site = 'north'"));
        assertThat(membership()).isEqualTo(Membership.pinned("site = 'north'"));

        groups.clear();
        realm.put(APP + "/tenant-b", filter("tenant = "));
        groups.put(APP + "/tenant-b/staff", Map.of());
        assertThat(membership()).as("a parent's broken pin breaks its subgroups too").isEqualTo(Membership.NONE);
    }

    @Test
    void aNestedMembershipWhoseParentCannotBeReadGrantsNothing() {
        groups.put(APP + "/gone/team", Map.of());

        assertThat(membership()).isEqualTo(Membership.NONE);
    }
}
