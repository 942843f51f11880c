package io.wsbridge.bridge.auth.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsbridge.bridge.auth.keycloak.ApiKeyAttributeCheck.Finding;
import io.wsbridge.bridge.auth.keycloak.ApiKeyAttributeCheck.Protection;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.keycloak.representations.userprofile.config.UPAttribute;
import org.keycloak.representations.userprofile.config.UPAttributePermissions;
import org.keycloak.representations.userprofile.config.UPConfig;
import org.keycloak.representations.userprofile.config.UPConfig.UnmanagedAttributePolicy;

class ApiKeyAttributeCheckTest {

    private static final String ATTRIBUTE = "wsbridge-api-keys";

    private static UPConfig declared(Set<String> view, Set<String> edit) {
        UPConfig profile = new UPConfig();
        profile.addOrReplaceAttribute(new UPAttribute("username"));
        profile.addOrReplaceAttribute(new UPAttribute(ATTRIBUTE, new UPAttributePermissions(view, edit)));
        return profile;
    }

    private static UPConfig undeclared(UnmanagedAttributePolicy policy) {
        UPConfig profile = new UPConfig();
        profile.addOrReplaceAttribute(new UPAttribute("username"));
        profile.setUnmanagedAttributePolicy(policy);
        return profile;
    }

    private static Finding judge(UPConfig profile) {
        return ApiKeyAttributeCheck.judge(profile, ATTRIBUTE, "wsbridge");
    }

    @Test
    void anAttributeDeclaredEditableByAdminsOnlyIsSafe() {
        assertThat(judge(declared(Set.of("admin"), Set.of("admin")))).isEqualTo(new Finding(Protection.ADMIN_ONLY,
                "the user profile of realm 'wsbridge' declares the attribute 'wsbridge-api-keys' editable by"
                        + " administrators only"));
        // whatever the unmanaged policy says: the declaration decides
        UPConfig alsoEnabled = declared(Set.of("admin"), Set.of("admin"));
        alsoEnabled.setUnmanagedAttributePolicy(UnmanagedAttributePolicy.ENABLED);
        assertThat(judge(alsoEnabled).protection()).isEqualTo(Protection.ADMIN_ONLY);
    }

    @Test
    void anAttributeDeclaredEditableByUsersIsUserEditable() {
        Finding finding = judge(declared(Set.of("admin", "user"), Set.of("admin", "user")));

        assertThat(finding.protection()).isEqualTo(Protection.USER_EDITABLE);
        assertThat(finding.message()).isEqualTo("the user profile of realm 'wsbridge' lets users edit the attribute"
                + " 'wsbridge-api-keys' (its edit permission includes 'user'): a user can store an API key of their own"
                + " making through the account console or the Account REST API, and bring back a revoked one. Give the"
                + " attribute the edit permission 'admin' only (see the README, Identity and access)");
    }

    @Test
    void anAttributeDeclaredWithoutEditPermissionCannotHoldNewKeys() {
        assertThat(judge(declared(Set.of("admin"), Set.of())).protection()).isEqualTo(Protection.READ_ONLY);
        assertThat(judge(declared(null, null)).protection()).isEqualTo(Protection.READ_ONLY);
    }

    @Test
    void anUndeclaredAttributeFollowsTheUnmanagedPolicy() {
        assertThat(judge(undeclared(UnmanagedAttributePolicy.ADMIN_EDIT))).isEqualTo(new Finding(Protection.ADMIN_ONLY,
                "the user profile of realm 'wsbridge' keeps the attribute 'wsbridge-api-keys' as an unmanaged"
                        + " attribute only administrators can edit (ADMIN_EDIT)"));
        assertThat(judge(undeclared(UnmanagedAttributePolicy.ENABLED)).message()).isEqualTo("the user profile of"
                + " realm 'wsbridge' does not declare the attribute 'wsbridge-api-keys' and its unmanaged attribute"
                + " policy is ENABLED, so users can edit it: a user can store an API key of their own making through"
                + " the account console or the Account REST API, and bring back a revoked one. Set the unmanaged"
                + " attribute policy to ADMIN_EDIT, or declare the attribute with the edit permission 'admin' only"
                + " (see the README, Identity and access)");
        assertThat(judge(undeclared(UnmanagedAttributePolicy.ENABLED)).protection())
                .isEqualTo(Protection.USER_EDITABLE);
        assertThat(judge(undeclared(UnmanagedAttributePolicy.ADMIN_VIEW)).protection())
                .isEqualTo(Protection.READ_ONLY);
    }

    @Test
    void anUndeclaredAttributeWithoutUnmanagedPolicyIsDropped() {
        assertThat(judge(undeclared(null))).isEqualTo(new Finding(Protection.NOT_STORED, "the user profile of realm"
                + " 'wsbridge' does not declare the attribute 'wsbridge-api-keys' and has no unmanaged attribute"
                + " policy, so Keycloak drops it: no API key can be stored. Declare it with the edit permission"
                + " 'admin' only, or set the unmanaged attribute policy to ADMIN_EDIT (see the README, Identity and"
                + " access)"));
    }
}
