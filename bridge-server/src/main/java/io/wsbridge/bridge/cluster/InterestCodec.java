package io.wsbridge.bridge.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Interest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The interest message a bridge sends over its peer links: a full snapshot, so that a lost or reordered update cannot
 * leave a peer with stale proxies. A group's {@code principal} is the user or service account its members are (a
 * name, never a credential); a group without one is anonymous members'.
 *
 * <pre>{@code
 * {"v":1,"applications":{"app":{"plain":"all","groups":[{"id":"billing","members":2}]},
 *                        "other":{"plain":["door"],"groups":[{"principal":"alice","id":"g","channel":"door",
 *                                                              "members":1}]}}}
 * }</pre>
 */
final class InterestCodec {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_NAME_LENGTH = 255;
    static final int MAX_MEMBERS = 1_000_000;

    private InterestCodec() {
    }

    static String encode(Interest interest) {
        ObjectNode root = JSON.createObjectNode().put("v", 1);
        ObjectNode applications = root.putObject("applications");
        new TreeMap<>(interest.applications()).forEach((name, application) -> {
            ObjectNode node = applications.putObject(name);
            if (application.allChannels()) {
                node.put("plain", "all");
            } else if (!application.channels().isEmpty()) {
                ArrayNode channels = node.putArray("plain");
                application.channels().stream().sorted().forEach(channels::add);
            }
            ArrayNode groups = node.putArray("groups");
            application.groups().forEach((key, members) -> {
                ObjectNode group = groups.addObject();
                if (key.principal() != null) {
                    group.put("principal", key.principal());
                }
                group.put("id", key.groupId());
                if (key.channel() != null) {
                    group.put("channel", key.channel());
                }
                group.put("members", members);
            });
        });
        return root.toString();
    }

    /** @throws IllegalArgumentException if the message is not a valid interest snapshot */
    static Interest decode(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("interest is not JSON");
        }
        if (root == null || !root.isObject() || root.path("v").asInt() != 1 || !root.path("applications").isObject()) {
            throw new IllegalArgumentException("interest is not a version 1 snapshot");
        }
        Map<String, Interest.Application> applications = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> entries = root.path("applications").fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> entry = entries.next();
            String name = name(entry.getKey(), "application");
            JsonNode node = entry.getValue();
            JsonNode plain = node.path("plain");
            boolean all = false;
            Set<String> channels = new HashSet<>();
            if (plain.isTextual() && "all".equals(plain.asText())) {
                all = true;
            } else if (plain.isArray()) {
                plain.forEach(channel -> channels.add(name(channel.isTextual() ? channel.asText() : null, "channel")));
            } else if (!plain.isMissingNode()) {
                throw new IllegalArgumentException("plain must be \"all\" or a list of channels");
            }
            Map<GroupKey, Integer> groups = new HashMap<>();
            for (JsonNode group : node.path("groups")) {
                JsonNode principal = group.path("principal");
                String groupPrincipal = principal.isMissingNode() || principal.isNull() ? null
                        : name(principal.isTextual() ? principal.asText() : null, "principal");
                String id = name(group.path("id").isTextual() ? group.path("id").asText() : null, "group id");
                JsonNode channel = group.path("channel");
                String groupChannel = channel.isMissingNode() || channel.isNull() ? null
                        : name(channel.isTextual() ? channel.asText() : null, "channel");
                int members = group.path("members").asInt(0);
                if (members < 1 || members > MAX_MEMBERS) {
                    throw new IllegalArgumentException("a group needs 1 to " + MAX_MEMBERS + " members");
                }
                groups.merge(new GroupKey(groupPrincipal, id, groupChannel), members, Integer::sum);
            }
            Interest.Application application = new Interest.Application(all, channels, groups);
            if (!application.isEmpty()) {
                applications.put(name, application);
            }
        }
        return new Interest(applications);
    }

    private static String name(String value, String what) {
        if (value == null || value.isEmpty() || value.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("a " + what + " must be 1 to " + MAX_NAME_LENGTH + " characters");
        }
        return value;
    }
}
