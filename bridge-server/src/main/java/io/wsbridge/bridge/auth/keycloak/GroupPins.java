package io.wsbridge.bridge.auth.keycloak;

import io.wsbridge.bridge.auth.Membership;
import io.wsbridge.bridge.filter.Filters;
import io.wsbridge.bridge.filter.InvalidFilterException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user's membership of an application from the groups they belong to: the application's group itself, or one of its
 * subgroups at any depth. A subgroup with the attribute {@value #FILTER_ATTRIBUTE} pins that filter on its members,
 * and so on the members of its own subgroups: a membership reads what every pin from the application's group down to
 * the member's group lets through (several values of the attribute all apply as well). The attribute is not read on
 * the application's group itself: its members read everything, as before pins existed.
 *
 * <p>A user in several groups of the application reads what any of them grants ({@link Membership#union}): a
 * membership without a pin reads everything. A group whose pin is not valid CloudEvents SQL (or is empty) grants
 * nothing, fail closed, and the bridge logs which group it is.
 */
final class GroupPins {

    /** The group attribute that restricts the members of an application's subgroup to a filter. */
    static final String FILTER_ATTRIBUTE = "filter";

    private static final Logger LOG = LoggerFactory.getLogger(GroupPins.class);

    private GroupPins() {
    }

    /**
     * @param applicationPath the application's group, e.g. {@code /applications/acme}
     * @param groups the user's groups, by path, with their attributes (other groups than the application's are
     *     skipped)
     * @param attributesOf the attributes of a group between the application's group and one of the user's groups,
     *     asked only for nested memberships; {@code null} if there is no such group
     */
    static Membership membership(String applicationPath, Map<String, Map<String, List<String>>> groups,
            Function<String, Map<String, List<String>>> attributesOf) {
        List<String> pins = new ArrayList<>();
        String subgroups = applicationPath + "/";
        for (Map.Entry<String, Map<String, List<String>>> group : groups.entrySet()) {
            String path = group.getKey();
            if (path.equals(applicationPath)) {
                pins.add(null);
            } else if (path.startsWith(subgroups)) {
                try {
                    pins.add(pinOf(applicationPath, path, group.getValue(), attributesOf));
                } catch (InvalidPinException e) {
                    LOG.warn("The {} attribute of group {} is not a filter the bridge accepts ({}): membership of {}"
                            + " grants nothing until it is corrected", FILTER_ATTRIBUTE, e.group, e.getMessage(),
                            path);
                }
            }
        }
        return Membership.union(pins);
    }

    /**
     * The pin of one membership: the pins of the groups from the application's group (excluded) down to
     * {@code memberPath}, all of them; {@code null} for none.
     */
    private static String pinOf(String applicationPath, String memberPath, Map<String, List<String>> memberAttributes,
            Function<String, Map<String, List<String>>> attributesOf) throws InvalidPinException {
        List<String> all = new ArrayList<>();
        String[] segments = memberPath.substring(applicationPath.length() + 1).split("/", -1);
        StringBuilder path = new StringBuilder(applicationPath);
        for (int i = 0; i < segments.length; i++) {
            path.append('/').append(segments[i]);
            String group = path.toString();
            Map<String, List<String>> attributes = i < segments.length - 1 ? attributesOf.apply(group)
                    : memberAttributes == null ? Map.of() : memberAttributes;
            if (attributes == null) {
                throw new InvalidPinException(group, "the group cannot be read");
            }
            List<String> values = attributes.get(FILTER_ATTRIBUTE);
            if (values == null) {
                continue;
            }
            if (values.isEmpty()) {
                throw new InvalidPinException(group, "the filter is empty");
            }
            for (String value : values) {
                try {
                    Filters.checkSyntax(value);
                } catch (InvalidFilterException e) {
                    throw new InvalidPinException(group, e.getMessage());
                }
                all.add(value);
            }
        }
        return all.isEmpty() ? null : Filters.allOf(all);
    }

    /** A pin that is not valid, and the group it is on. */
    private static final class InvalidPinException extends Exception {

        private static final long serialVersionUID = 1L;
        final String group;

        InvalidPinException(String group, String message) {
            super(message);
            this.group = group;
        }
    }
}
