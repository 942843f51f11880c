package io.wsbridge.bridge.auth.keycloak;

import java.util.Set;
import org.keycloak.representations.userprofile.config.UPAttribute;
import org.keycloak.representations.userprofile.config.UPAttributePermissions;
import org.keycloak.representations.userprofile.config.UPConfig;

/**
 * What the realm's declarative user profile (Keycloak 24 and later) lets users and administrators do with the
 * attribute that holds the API-key hashes. A user who may edit it can add the hash of a key of their own choosing,
 * one that never expires and that no administrator issued, and put back a key an administrator revoked: the
 * attribute must be writable by administrators only.
 *
 * <p>Reading the profile ({@code GET /admin/realms/{realm}/users/profile}) needs any {@code realm-management} role,
 * so the bridge's {@code view-users} is enough.
 */
public final class ApiKeyAttributeCheck {

    /** Where the README explains the setup. */
    static final String SEE = "see the README, Identity and access";

    /** What the profile allows. */
    public enum Protection {
        /** Administrators may edit it, users may not: as it must be. */
        ADMIN_ONLY,
        /** Users may edit it through the account console or the Account REST API. */
        USER_EDITABLE,
        /** Nobody may edit it (unmanaged policy {@code ADMIN_VIEW}): keys cannot be created. */
        READ_ONLY,
        /** Keycloak drops it (not declared, and unmanaged attributes are disabled): keys cannot be stored. */
        NOT_STORED
    }

    /** The verdict and one sentence that says why and, unless it is {@link Protection#ADMIN_ONLY}, what to do. */
    public record Finding(Protection protection, String message) {
        public boolean adminOnly() {
            return protection == Protection.ADMIN_ONLY;
        }
    }

    private ApiKeyAttributeCheck() {
    }

    /** Reads the realm's user profile with the Admin API and judges it. */
    public static Finding check(KeycloakAdmin admin) throws KeycloakUnavailableException, KeycloakRefusedException {
        UPConfig profile = admin.call("read the user profile of realm '" + admin.settings().realm() + "'",
                realm -> realm.users().userProfile().getConfiguration());
        return judge(profile, KeycloakApiKeys.ATTRIBUTE, admin.settings().realm());
    }

    /** Judges {@code profile} for {@code attribute}. */
    static Finding judge(UPConfig profile, String attribute, String realm) {
        String subject = "the user profile of realm '" + realm + "'";
        UPAttribute declared = profile == null ? null : profile.getAttribute(attribute);
        if (declared != null) {
            UPAttributePermissions permissions = declared.getPermissions();
            Set<String> edit = permissions == null || permissions.getEdit() == null ? Set.of() : permissions.getEdit();
            if (edit.contains("user")) {
                return new Finding(Protection.USER_EDITABLE, subject + " lets users edit the attribute '" + attribute
                        + "' (its edit permission includes 'user'): a user can store an API key of their own making"
                        + " through the account console or the Account REST API, and bring back a revoked one. Give"
                        + " the attribute the edit permission 'admin' only (" + SEE + ")");
            }
            if (!edit.contains("admin")) {
                return new Finding(Protection.READ_ONLY, subject + " declares the attribute '" + attribute
                        + "' without the edit permission 'admin': no API key can be created or revoked. Give it the"
                        + " edit permission 'admin' only (" + SEE + ")");
            }
            return new Finding(Protection.ADMIN_ONLY, subject + " declares the attribute '" + attribute
                    + "' editable by administrators only");
        }
        UPConfig.UnmanagedAttributePolicy policy = profile == null ? null : profile.getUnmanagedAttributePolicy();
        if (policy == null) {
            return new Finding(Protection.NOT_STORED, subject + " does not declare the attribute '" + attribute
                    + "' and has no unmanaged attribute policy, so Keycloak drops it: no API key can be stored."
                    + " Declare it with the edit permission 'admin' only, or set the unmanaged attribute policy to"
                    + " ADMIN_EDIT (" + SEE + ")");
        }
        return switch (policy) {
            case ENABLED -> new Finding(Protection.USER_EDITABLE, subject + " does not declare the attribute '"
                    + attribute + "' and its unmanaged attribute policy is ENABLED, so users can edit it: a user can"
                    + " store an API key of their own making through the account console or the Account REST API,"
                    + " and bring back a revoked one. Set the unmanaged attribute policy to ADMIN_EDIT, or declare"
                    + " the attribute with the edit permission 'admin' only (" + SEE + ")");
            case ADMIN_VIEW -> new Finding(Protection.READ_ONLY, subject + " does not declare the attribute '"
                    + attribute + "' and its unmanaged attribute policy is ADMIN_VIEW, under which administrators"
                    + " cannot write it either: no API key can be created or revoked. Set the policy to ADMIN_EDIT,"
                    + " or declare the attribute with the edit permission 'admin' only (" + SEE + ")");
            case ADMIN_EDIT -> new Finding(Protection.ADMIN_ONLY, subject + " keeps the attribute '" + attribute
                    + "' as an unmanaged attribute only administrators can edit (ADMIN_EDIT)");
        };
    }
}
