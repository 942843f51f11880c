package io.wsbridge.bridge.cluster;

import static io.wsbridge.bridge.cluster.InterestCodec.describe;
import static io.wsbridge.bridge.cluster.InterestCodec.members;
import static io.wsbridge.bridge.cluster.InterestCodec.name;
import static io.wsbridge.bridge.cluster.InterestCodec.quote;
import static io.wsbridge.bridge.cluster.InterestCodec.shorten;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Decodes interest messages ({@link InterestCodec}) strictly: anything unexpected is an error that says what. */
final class InterestDecoder {

    /** The most workers a {@code workers} message names. */
    static final int MAX_WORKERS = 1_000;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ENTRY_FIELDS = Set.of("application", "channel", "group", "principal", "filter",
            "members");

    private InterestDecoder() {
    }

    /** @throws IllegalArgumentException with what is wrong, if {@code text} is not a valid interest message */
    static InterestCodec.Message decode(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("interest message is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("interest message is not a JSON object");
        }
        JsonNode version = root.path("v");
        if (!version.isInt()) {
            throw new IllegalArgumentException("interest message has no version (v)");
        }
        if (version.intValue() != InterestCodec.VERSION) {
            throw new IllegalArgumentException("interest message version " + version.intValue()
                    + " is not supported: this bridge speaks version " + InterestCodec.VERSION
                    + "; run the same wsbridge version on every worker");
        }
        String type = root.path("type").isTextual() ? root.path("type").asText() : null;
        if (type == null) {
            throw new IllegalArgumentException("interest message has no type");
        }
        return switch (type) {
            case "snapshot" -> {
                fields(root, "snapshot", Set.of("v", "type", "seq", "part", "last", "entries"));
                JsonNode last = root.path("last");
                if (!last.isBoolean()) {
                    throw new IllegalArgumentException("a snapshot part needs last (true or false)");
                }
                JsonNode part = root.path("part");
                if (!part.isInt() || part.intValue() < 0) {
                    throw new IllegalArgumentException("a snapshot part needs its part number (0 or more)");
                }
                Map<InterestEntry, Integer> entries = new HashMap<>();
                for (JsonNode node : list(root, "entries")) {
                    put(entries, node, true);
                }
                yield new InterestCodec.Snapshot(seq(root), part.intValue(), last.booleanValue(), entries);
            }
            case "delta" -> {
                fields(root, "delta", Set.of("v", "type", "seq", "set", "remove"));
                Map<InterestEntry, Integer> set = new HashMap<>();
                for (JsonNode node : list(root, "set")) {
                    put(set, node, true);
                }
                Map<InterestEntry, Integer> remove = new HashMap<>();
                for (JsonNode node : list(root, "remove")) {
                    InterestEntry entry = put(remove, node, false);
                    if (set.containsKey(entry)) {
                        throw new IllegalArgumentException("a delta both sets and removes " + describe(entry));
                    }
                }
                yield new InterestCodec.Delta(seq(root), set, remove.keySet());
            }
            case "resync" -> {
                fields(root, "resync", Set.of("v", "type", "reason"));
                JsonNode reason = root.path("reason");
                if (!reason.isTextual() || reason.asText().length() > InterestCodec.MAX_REASON_LENGTH) {
                    throw new IllegalArgumentException("a resync request needs a reason of at most "
                            + InterestCodec.MAX_REASON_LENGTH + " characters");
                }
                yield new InterestCodec.Resync(reason.asText());
            }
            case "sync" -> {
                fields(root, "sync", Set.of("v", "type", "id"));
                yield new InterestCodec.Sync(id(root));
            }
            case "synced" -> {
                fields(root, "synced", Set.of("v", "type", "id"));
                yield new InterestCodec.Synced(id(root));
            }
            case "acked" -> {
                fields(root, "acked", Set.of("v", "type", "messages"));
                JsonNode messages = root.path("messages");
                if (!messages.canConvertToLong() || !messages.isIntegralNumber() || messages.longValue() < 0) {
                    throw new IllegalArgumentException("an acked message needs a count of messages (0 or more)");
                }
                yield new InterestCodec.Acked(messages.longValue());
            }
            case "workers" -> {
                fields(root, "workers", Set.of("v", "type", "names"));
                JsonNode names = root.path("names");
                if (!names.isArray() || names.size() > MAX_WORKERS) {
                    throw new IllegalArgumentException("workers needs a list of at most " + MAX_WORKERS + " names");
                }
                Set<String> workers = new HashSet<>();
                for (JsonNode name : names) {
                    if (!name.isTextual() || name.asText().isEmpty()
                            || name.asText().length() > PeerProtocol.MAX_NODE_LENGTH) {
                        throw new IllegalArgumentException("a worker's name must be 1 to "
                                + PeerProtocol.MAX_NODE_LENGTH + " characters");
                    }
                    workers.add(name.asText());
                }
                yield new InterestCodec.Workers(Set.copyOf(workers));
            }
            case "kept" -> {
                fields(root, "kept", Set.of("v", "type", "places"));
                yield new InterestCodec.Kept(places(root.path("places")));
            }
            case "positions" -> {
                fields(root, "positions", Set.of("v", "type", "application", "positions"));
                String application = name(text(root, "application"), "application");
                yield new InterestCodec.Positions(application, positions(root.path("positions")));
            }
            case "places" -> {
                fields(root, "places", Set.of("v", "type", "places"));
                yield new InterestCodec.Places(places(root.path("places")));
            }
            default -> throw new IllegalArgumentException("unknown interest message type "
                    + quote(type.length() > 40 ? type.substring(0, 40) + "..." : type));
        };
    }

    private static void fields(JsonNode node, String what, Set<String> allowed) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException("unknown field " + quote(shorten(name)) + " in a " + what
                        + " message");
            }
        }
    }

    private static Map<String, Map<PartitionId, Long>> places(JsonNode places) {
        if (!places.isArray()) {
            throw new IllegalArgumentException("places must be a list");
        }
        Map<String, Map<PartitionId, Long>> decoded = new HashMap<>();
        for (JsonNode place : places) {
            fields(place, "place", Set.of("id", "positions"));
            JsonNode id = place.path("id");
            JsonNode positions = place.path("positions");
            if (!id.isTextual() || !positions.isArray()) {
                throw new IllegalArgumentException("a place needs an id and a list of positions");
            }
            decoded.put(id.asText(), positions(positions));
        }
        return Map.copyOf(decoded);
    }

    /** {@code [["topic", partition, offset], ...]} */
    private static Map<PartitionId, Long> positions(JsonNode positions) {
        if (!positions.isArray()) {
            throw new IllegalArgumentException("positions must be a list");
        }
        Map<PartitionId, Long> offsets = new HashMap<>();
        for (JsonNode position : positions) {
            if (!position.isArray() || position.size() != 3 || !position.get(0).isTextual()
                    || !position.get(1).canConvertToInt() || position.get(1).intValue() < 0
                    || !position.get(2).canConvertToLong() || position.get(2).longValue() < 0) {
                throw new IllegalArgumentException("a position is [topic, partition, offset]");
            }
            offsets.put(new PartitionId(position.get(0).asText(), position.get(1).intValue()),
                    position.get(2).longValue());
        }
        return Map.copyOf(offsets);
    }

    private static long id(JsonNode root) {
        JsonNode id = root.path("id");
        if (!id.isIntegralNumber() || !id.canConvertToLong() || id.longValue() < 0) {
            throw new IllegalArgumentException("a sync message needs an id (0 or more)");
        }
        return id.longValue();
    }

    private static long seq(JsonNode root) {
        JsonNode seq = root.path("seq");
        if (!seq.isIntegralNumber() || !seq.canConvertToLong() || seq.longValue() < 0) {
            throw new IllegalArgumentException("interest message needs a sequence number (seq, 0 or more)");
        }
        return seq.longValue();
    }

    private static JsonNode list(JsonNode root, String field) {
        JsonNode list = root.path(field);
        if (!list.isArray()) {
            throw new IllegalArgumentException(field + " must be a list of entries");
        }
        return list;
    }

    /** Decodes an entry into {@code into}; {@code withMembers}: groups carry their member count (not in removals). */
    private static InterestEntry put(Map<InterestEntry, Integer> into, JsonNode node, boolean withMembers) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("an interest entry must be a JSON object");
        }
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!ENTRY_FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown field " + quote(shorten(name)) + " in an interest entry");
            }
        }
        String application = name(text(node, "application"), "application");
        String channel = optional(node, "channel");
        String groupId = optional(node, "group");
        String principal = optional(node, "principal");
        JsonNode filterNode = node.path("filter");
        String filter = filterNode.isMissingNode() ? null
                : InterestCodec.filter(filterNode.isTextual() ? filterNode.asText() : null);
        JsonNode members = node.path("members");
        InterestEntry entry;
        int count = 1;
        if (groupId == null) {
            if (principal != null || filter != null || !members.isMissingNode()) {
                throw new IllegalArgumentException("only a group entry has a principal, a filter or members");
            }
            entry = channel == null ? InterestEntry.all(application) : InterestEntry.channel(application, channel);
        } else {
            entry = InterestEntry.group(application, new GroupKey(principal, groupId, channel, filter));
            if (withMembers) {
                count = members(members.isInt() ? members.intValue() : 0);
            } else if (!members.isMissingNode()) {
                throw new IllegalArgumentException("a removed group entry has no members");
            }
        }
        if (into.put(entry, count) != null) {
            throw new IllegalArgumentException(describe(entry) + " is listed twice");
        }
        return entry;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() ? value.asText() : null;
    }

    private static String optional(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isMissingNode()) {
            return null;
        }
        return name(value.isTextual() ? value.asText() : null, field.equals("group") ? "group id" : field);
    }
}
