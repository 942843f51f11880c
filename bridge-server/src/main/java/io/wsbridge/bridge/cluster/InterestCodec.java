package io.wsbridge.bridge.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wsbridge.bridge.resume.PartitionId;
import io.wsbridge.bridge.route.GroupKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The interest messages of a peer link (text messages, version {@value #VERSION}), each at most
 * {@link PeerProtocol#INTEREST_CHUNK_BYTES} long however large the interest is. A link starts with a snapshot of the
 * sender's interest, split into numbered parts; then deltas follow, each with the next sequence number: entries whose
 * member count is new ({@code set}) and entries that are gone ({@code remove}). The receiver asks for a fresh snapshot
 * ({@code resync}) when a sequence number is missing or a message cannot be applied.
 *
 * <pre>{@code
 * {"v":2,"type":"snapshot","seq":0,"part":0,"last":true,"entries":[{"application":"app"},
 *     {"application":"app","channel":"door"},{"application":"app","group":"billing","members":2},
 *     {"application":"app","group":"g","principal":"alice","channel":"door","members":1},
 *     {"application":"app","group":"alarms","filter":"type = 'alarm'","members":1}]}
 * {"v":2,"type":"delta","seq":1,"set":[{"application":"app","group":"billing","members":3}],
 *     "remove":[{"application":"app","channel":"door"}]}
 * {"v":2,"type":"resync","reason":"sequence 7 expected, 9 received"}
 * {"v":2,"type":"sync","id":4}
 * {"v":2,"type":"places","places":[{"id":"3:app|5:alice|7:billing|-1:|-1:|",
 *     "positions":[["events-app",0,42]]}]}
 * {"v":2,"type":"synced","id":4}
 * {"v":2,"type":"acked","messages":1200}
 * {"v":2,"type":"kept","places":[{"id":"3:app|-1:|1:g|-1:|-1:|","positions":[["events-app",1,7]]}]}
 * {"v":2,"type":"workers","names":["10.0.0.1:8080","10.0.0.2:8080"]}
 * {"v":2,"type":"positions","application":"app","positions":[["events-app",0,42],["events-app",1,17]]}
 * }</pre>
 *
 * A {@code sync} asks the receiver to answer {@code synced} with the same id once it has applied every interest
 * message sent before it: from then on, every event the receiver publishes reaches the sender's subscribers that
 * were in that interest (a subscriber resuming in cluster mode waits for it before it reads the history). Before the
 * answer, the receiver sends the places of the groups that formed again there while it applied that interest
 * ({@code places}, as many messages as they take): the first member of such a group catches up from there.
 *
 * An {@code acked} ({@link PeerProtocol#ACKS_HEADER}) says the linking side's group members wrote the first
 * {@code messages} forwarded messages of the link; what is not acknowledged when the link drops is dealt again. A
 * {@code kept} copies places the consuming side keeps to the linking side, used if the consuming side dies; a
 * {@code workers} names the bridges linked to the consuming side, which a bridge whose task starts waits for.
 *
 * A {@code positions} ({@link PeerProtocol#POSITIONS_HEADER}) gives the consuming side's live position in the
 * partitions of an application it publishes, in order with the forwarded events: every event of those partitions
 * before it that the linking side's interest asked for came before it. The linking side moves its own stream of the
 * application there, so that the cursors it stamps name every partition, including those whose events its
 * subscribers have not asked for (or not yet got).
 *
 * A group's {@code principal} is the user or service account its members are (a name, never a credential); a group
 * without one is anonymous members'. A group's {@code filter} (a CloudEvents SQL expression, part of its key) lets the
 * consuming bridge hand the group only the events that match it. Decoding is strict: an unknown version, type or field is an error that says so.
 *
 * <p>Over 300 lines because it is the whole text side of the peer protocol, and its documentation is the protocol's
 * specification: kept in one place, the examples and the encoders cannot drift apart.
 */
final class InterestCodec {

    static final int VERSION = 2;
    static final int MAX_NAME_LENGTH = 255;
    /** A filter is at most 1 KB as asked, and a pinned one as much again, combined: room to spare. */
    static final int MAX_FILTER_LENGTH = 16 * 1024;
    static final int MAX_MEMBERS = 1_000_000;
    static final int MAX_REASON_LENGTH = 200;
    /** Room for a message's own fields around its entries: the longest header and list brackets fit easily. */
    private static final int FRAMING_BYTES = 160;

    private static final ObjectMapper JSON = new ObjectMapper();

    private InterestCodec() {
    }

    /** An interest message, decoded. */
    sealed interface Message permits Snapshot, Delta, Resync, Sync, Places, Synced, Acked, Kept, Workers,
            Positions {
    }

    /**
     * One part of a snapshot; the parts of one snapshot have consecutive sequence numbers, and part 0 starts it.
     *
     * @param entries the entries of this part, with their member counts
     */
    record Snapshot(long seq, int part, boolean last, Map<InterestEntry, Integer> entries) implements Message {
    }

    /** Changes since the message before: new member counts ({@code set}), entries gone ({@code remove}). */
    record Delta(long seq, Map<InterestEntry, Integer> set, Set<InterestEntry> remove) implements Message {
    }

    /** The receiver's request for a fresh snapshot, with why. */
    record Resync(String reason) implements Message {
    }

    /** The sender asks to be told when everything it sent before is applied. */
    record Sync(long id) implements Message {
    }

    /**
     * Group places the receiver hands over (groups of the sender's interest that formed again there within the
     * retention time), by {@link io.wsbridge.bridge.route.GroupKey#placeId}: before a {@link Synced}, every place taken
     * before its sync was applied goes out, in as many of these as it takes.
     */
    record Places(Map<String, Map<PartitionId, Long>> places) implements Message {
    }

    /**
     * The linking side is done with the first {@code messages} forwarded messages of this link: the events in them
     * for its groups' members are written, so the consuming side need not deal them again if the link drops.
     */
    record Acked(long messages) implements Message {
    }

    /**
     * Copies of the places the consuming side keeps, sent to every linked bridge as they change (an empty list of
     * positions: the place is gone): if the consuming side dies, the group's next member still finds its place.
     */
    record Kept(Map<String, Map<PartitionId, Long>> places) implements Message {
    }

    /**
     * The bridges linked to the sender (a consuming bridge), by name: the workers of the cluster, which a bridge whose
     * task starts waits for ({@link ClusterNode#awaitLinked}).
     */
    record Workers(Set<String> names) implements Message {
    }

    /**
     * The consuming side's live position in the partitions of {@code application} that it publishes: the offset of
     * the next record it publishes in each.
     */
    record Positions(String application, Map<PartitionId, Long> positions) implements Message {
    }

    /** The receiver's answer to {@link Sync}: everything sent before the sync with this id is applied. */
    record Synced(long id) implements Message {
    }

    /**
     * Encodes a snapshot of {@code entries} in parts of at most {@code maxBytes} (UTF-8), numbered from
     * {@code firstSeq}; an empty interest is one empty part.
     */
    static List<String> snapshot(Map<InterestEntry, Integer> entries, long firstSeq, int maxBytes) {
        List<List<String>> chunks = chunks(encodeAll(entries, true), List.of(), maxBytes);
        List<String> messages = new ArrayList<>(chunks.size());
        for (int part = 0; part < chunks.size(); part++) {
            messages.add("{\"v\":" + VERSION + ",\"type\":\"snapshot\",\"seq\":" + (firstSeq + part) + ",\"part\":"
                    + part + ",\"last\":" + (part == chunks.size() - 1) + ",\"entries\":["
                    + String.join(",", chunks.get(part)) + "]}");
        }
        return messages;
    }

    /**
     * Encodes a change in messages of at most {@code maxBytes} (UTF-8), numbered from {@code firstSeq}; no change is no
     * message.
     */
    static List<String> delta(Map<InterestEntry, Integer> set, Set<InterestEntry> remove, long firstSeq,
            int maxBytes) {
        Map<InterestEntry, Integer> removed = new HashMap<>();
        remove.forEach(entry -> removed.put(entry, 0));
        List<String> setItems = encodeAll(set, true);
        List<String> removeItems = encodeAll(removed, false);
        List<List<String>> chunks = chunks(setItems, removeItems, maxBytes);
        List<String> messages = new ArrayList<>();
        int next = 0;
        for (List<String> chunk : chunks) {
            if (chunk.isEmpty()) {
                continue;
            }
            List<String> sets = new ArrayList<>();
            List<String> removes = new ArrayList<>();
            for (String item : chunk) {
                (next < setItems.size() ? sets : removes).add(item);
                next++;
            }
            messages.add("{\"v\":" + VERSION + ",\"type\":\"delta\",\"seq\":" + (firstSeq + messages.size())
                    + ",\"set\":[" + String.join(",", sets) + "],\"remove\":[" + String.join(",", removes) + "]}");
        }
        return messages;
    }

    static String resync(String reason) {
        String bounded = reason.length() > MAX_REASON_LENGTH ? reason.substring(0, MAX_REASON_LENGTH) : reason;
        return JSON.createObjectNode().put("v", VERSION).put("type", "resync").put("reason", bounded).toString();
    }

    static String sync(long id) {
        return "{\"v\":" + VERSION + ",\"type\":\"sync\",\"id\":" + id + "}";
    }

    static String acked(long messages) {
        return "{\"v\":" + VERSION + ",\"type\":\"acked\",\"messages\":" + messages + "}";
    }

    static String synced(long id) {
        return "{\"v\":" + VERSION + ",\"type\":\"synced\",\"id\":" + id + "}";
    }

    /**
     * {@code {"v":2,"type":"places","places":[{"id":"...","positions":[["topic",0,42]]}]}}
     *
     * @param places each encoded by {@link #place}
     */
    static String workers(Set<String> names) {
        ObjectNode message = JSON.createObjectNode().put("v", VERSION).put("type", "workers");
        var array = message.putArray("names");
        new TreeSet<>(names).stream().limit(InterestDecoder.MAX_WORKERS).forEach(array::add);
        return message.toString();
    }

    static String kept(List<String> places) {
        return "{\"v\":" + VERSION + ",\"type\":\"kept\",\"places\":[" + String.join(",", places) + "]}";
    }

    static String places(List<String> places) {
        return "{\"v\":" + VERSION + ",\"type\":\"places\",\"places\":[" + String.join(",", places) + "]}";
    }

    /**
     * {@code {"v":2,"type":"positions","application":"app","positions":[["topic",0,42]]}}, in as many messages of at
     * most {@link PeerProtocol#MAX_PLACES_BYTES} as the partitions take (none for no partition).
     */
    static List<String> positions(String application, Map<PartitionId, Long> positions) {
        String head = "{\"v\":" + VERSION + ",\"type\":\"positions\",\"application\":"
                + JSON.getNodeFactory().textNode(name(application, "application")) + ",\"positions\":[";
        List<String> messages = new ArrayList<>();
        StringBuilder message = new StringBuilder(head);
        int bytes = utf8Length(head) + 2;
        boolean empty = true;
        for (Map.Entry<PartitionId, Long> position : new TreeMap<>(positions).entrySet()) {
            String item = JSON.createArrayNode().add(position.getKey().topic()).add(position.getKey().partition())
                    .add(position.getValue()).toString();
            int itemBytes = utf8Length(item) + 1;
            if (!empty && bytes + itemBytes > PeerProtocol.MAX_PLACES_BYTES) {
                messages.add(message.append("]}").toString());
                message = new StringBuilder(head);
                bytes = utf8Length(head) + 2;
                empty = true;
            }
            message.append(empty ? "" : ",").append(item);
            bytes += itemBytes;
            empty = false;
        }
        if (!empty) {
            messages.add(message.append("]}").toString());
        }
        return messages;
    }

    /** One group place of a {@link Synced} answer, as JSON: {@code {"id":"...","positions":[["topic",0,42]]}}. */
    static String place(String id, Map<PartitionId, Long> positions) {
        ObjectNode place = JSON.createObjectNode().put("id", id);
        var array = place.putArray("positions");
        positions.forEach((partition, offset) -> array.addArray().add(partition.topic()).add(partition.partition())
                .add(offset));
        return place.toString();
    }

    private static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Encodes each entry, sorted so that the same interest always gives the same messages. */
    private static List<String> encodeAll(Map<InterestEntry, Integer> entries, boolean withMembers) {
        List<String> items = new ArrayList<>(entries.size());
        entries.forEach((entry, members) -> items.add(encode(entry, withMembers ? members : 0)));
        items.sort(null);
        return items;
    }

    private static String encode(InterestEntry entry, int members) {
        ObjectNode node = JSON.createObjectNode().put("application", name(entry.application(), "application"));
        GroupKey group = entry.group();
        if (group == null) {
            if (entry.channel() != null) {
                node.put("channel", name(entry.channel(), "channel"));
            }
            return node.toString();
        }
        node.put("group", name(group.groupId(), "group id"));
        if (group.principal() != null) {
            node.put("principal", name(group.principal(), "principal"));
        }
        if (group.channel() != null) {
            node.put("channel", name(group.channel(), "channel"));
        }
        if (group.filter() != null) {
            node.put("filter", filter(group.filter()));
        }
        if (members > 0) {
            node.put("members", members(members));
        }
        return node.toString();
    }

    /** Packs the items, {@code first} then {@code then}, in order into chunks that keep every message bounded. */
    private static List<List<String>> chunks(List<String> first, List<String> then, int maxBytes) {
        int budget = maxBytes - FRAMING_BYTES;
        List<List<String>> chunks = new ArrayList<>();
        List<String> chunk = new ArrayList<>();
        int size = 0;
        List<String> items = new ArrayList<>(first);
        items.addAll(then);
        for (String item : items) {
            int bytes = item.getBytes(StandardCharsets.UTF_8).length + 1;
            if (bytes > budget) {
                throw new IllegalArgumentException("an interest entry of " + bytes
                        + " bytes does not fit in a message of " + maxBytes + " bytes");
            }
            if (size + bytes > budget) {
                chunks.add(chunk);
                chunk = new ArrayList<>();
                size = 0;
            }
            chunk.add(item);
            size += bytes;
        }
        chunks.add(chunk);
        return chunks;
    }

    /** @throws IllegalArgumentException with what is wrong, if {@code text} is not a valid interest message */
    static Message decode(String text) {
        return InterestDecoder.decode(text);
    }

    static int members(int members) {
        if (members < 1 || members > MAX_MEMBERS) {
            throw new IllegalArgumentException("a group needs 1 to " + MAX_MEMBERS + " members");
        }
        return members;
    }

    /** Why no peer would accept {@code entry}, or {@code null}. */
    static String problem(InterestEntry entry) {
        try {
            encode(entry, 1);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    static String filter(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_FILTER_LENGTH) {
            throw new IllegalArgumentException("a filter must be 1 to " + MAX_FILTER_LENGTH + " characters");
        }
        return value;
    }

    static String name(String value, String what) {
        if (value == null || value.isEmpty() || value.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("a " + what + " must be 1 to " + MAX_NAME_LENGTH + " characters");
        }
        return value;
    }

    /** Names an entry in an error message, without the principal (a user's name is no business of logs). */
    static String describe(InterestEntry entry) {
        String application = quote(shorten(entry.application()));
        if (entry.group() != null) {
            return "group " + quote(shorten(entry.group().groupId())) + " of application " + application;
        }
        return entry.channel() == null ? "all channels of application " + application
                : "channel " + quote(shorten(entry.channel())) + " of application " + application;
    }

    static String shorten(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }

    static String quote(String value) {
        return "'" + value + "'";
    }
}
