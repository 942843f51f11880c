package io.wsbridge.bridge.cluster;

import io.wsbridge.bridge.route.Interest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a consuming bridge knows of one peer's interest, kept from the peer's interest messages ({@link InterestCodec}):
 * snapshot parts are collected until the last one, then the snapshot replaces what was known; deltas apply on top, in
 * sequence. A missing sequence number, a delta that does not fit what is known or a message that cannot be decoded
 * asks the peer for a fresh snapshot (once per gap: until its part 0 arrives, other messages are ignored, but one that
 * cannot be decoded asks again), and what was known stays in force meanwhile. After {@value #MAX_RESYNCS_IN_A_ROW}
 * requests in a row that brought no snapshot it could apply, it gives up: the link is broken beyond what a snapshot
 * mends. One per inbound link, fed in order from one thread at a time.
 */
final class InterestReceiver {

    /** Entries of one peer at most: far above what its connection limits allow. */
    static final int MAX_ENTRIES = 1_000_000;
    static final int MAX_RESYNCS_IN_A_ROW = 3;
    private static final Interest.Application NONE = new Interest.Application(false, Set.of(), Map.of());

    private final Map<String, Map<InterestEntry, Integer>> known = new HashMap<>();
    private Map<InterestEntry, Integer> pending;
    private boolean awaitingSnapshot = true;
    private long expected;
    private int size;
    private int resyncsInARow;

    /**
     * What a message changed.
     *
     * @param applications the new interest of each application it changed (empty if the peer no longer wants any)
     * @param resync why the peer must be asked for a fresh snapshot, or {@code null}
     * @param giveUp why the link should close, since fresh snapshots did not help, or {@code null}
     */
    record Outcome(Map<String, Interest.Application> applications, String resync, String giveUp) {

        static final Outcome NOTHING = new Outcome(Map.of(), null, null);

        static Outcome resync(String reason) {
            return new Outcome(Map.of(), reason, null);
        }
    }

    /** Applies one interest message, as text. */
    Outcome receive(String text) {
        try {
            return receive(InterestCodec.decode(text));
        } catch (IllegalArgumentException e) {
            return failed("bad interest message: " + e.getMessage());
        }
    }

    /** Applies one decoded interest message. */
    Outcome receive(InterestCodec.Message message) {
        if (message instanceof InterestCodec.Snapshot snapshot) {
            return snapshot(snapshot);
        }
        if (message instanceof InterestCodec.Delta delta) {
            return delta(delta);
        }
        return resync("a linking bridge sends no resync request");
    }

    /** Entries known, all applications together. */
    int size() {
        return size;
    }

    /** Whether the peer was asked for a snapshot, or never sent one yet. */
    boolean awaitingSnapshot() {
        return awaitingSnapshot;
    }

    private Outcome snapshot(InterestCodec.Snapshot snapshot) {
        if (snapshot.part() == 0) {
            pending = new HashMap<>();
            awaitingSnapshot = false;
        } else if (awaitingSnapshot) {
            return Outcome.NOTHING;
        } else if (pending == null || snapshot.seq() != expected) {
            return resync("snapshot part " + snapshot.part() + " with sequence " + snapshot.seq() + " where "
                    + (pending == null ? "no snapshot was under way" : "sequence " + expected + " was expected"));
        }
        expected = snapshot.seq() + 1;
        for (Map.Entry<InterestEntry, Integer> entry : snapshot.entries().entrySet()) {
            if (pending.put(entry.getKey(), entry.getValue()) != null) {
                return resync("the snapshot lists " + InterestCodec.describe(entry.getKey()) + " twice");
            }
        }
        if (pending.size() > MAX_ENTRIES) {
            return resync("the snapshot has more than " + MAX_ENTRIES + " entries");
        }
        if (!snapshot.last()) {
            return Outcome.NOTHING;
        }
        Map<String, Map<InterestEntry, Integer>> replacement = new HashMap<>();
        pending.forEach((entry, members) -> replacement.computeIfAbsent(entry.application(), a -> new HashMap<>())
                .put(entry, members));
        Set<String> applications = new HashSet<>(known.keySet());
        applications.addAll(replacement.keySet());
        Map<String, Interest.Application> changed = new HashMap<>();
        for (String application : applications) {
            Map<InterestEntry, Integer> now = replacement.getOrDefault(application, Map.of());
            if (!now.equals(known.getOrDefault(application, Map.of()))) {
                changed.put(application, interest(application, now));
            }
        }
        known.clear();
        known.putAll(replacement);
        size = pending.size();
        pending = null;
        resyncsInARow = 0;
        return new Outcome(changed, null, null);
    }

    private Outcome delta(InterestCodec.Delta delta) {
        if (awaitingSnapshot) {
            return Outcome.NOTHING;
        }
        if (pending != null) {
            return resync("a delta (sequence " + delta.seq() + ") before the snapshot's last part");
        }
        if (delta.seq() != expected) {
            return resync("sequence " + expected + " expected, " + delta.seq() + " received");
        }
        for (InterestEntry entry : delta.remove()) {
            if (!known.getOrDefault(entry.application(), Map.of()).containsKey(entry)) {
                return resync("the delta with sequence " + delta.seq() + " removes "
                        + InterestCodec.describe(entry) + ", which was not announced");
            }
        }
        int added = (int) delta.set().keySet().stream()
                .filter(entry -> !known.getOrDefault(entry.application(), Map.of()).containsKey(entry)).count();
        if (size + added - delta.remove().size() > MAX_ENTRIES) {
            return resync("the interest would have more than " + MAX_ENTRIES + " entries");
        }
        expected = delta.seq() + 1;
        Set<String> touched = new HashSet<>();
        for (InterestEntry entry : delta.remove()) {
            Map<InterestEntry, Integer> entries = known.get(entry.application());
            entries.remove(entry);
            if (entries.isEmpty()) {
                known.remove(entry.application());
            }
            touched.add(entry.application());
        }
        delta.set().forEach((entry, members) -> {
            known.computeIfAbsent(entry.application(), a -> new HashMap<>()).put(entry, members);
            touched.add(entry.application());
        });
        size += added - delta.remove().size();
        Map<String, Interest.Application> changed = new HashMap<>();
        touched.forEach(application -> changed.put(application,
                interest(application, known.getOrDefault(application, Map.of()))));
        return new Outcome(changed, null, null);
    }

    /** A message could not be decoded: asks for a fresh snapshot, even if one is asked for already. */
    Outcome failed(String reason) {
        pending = null;
        awaitingSnapshot = true;
        return request(reason);
    }

    private Outcome resync(String reason) {
        pending = null;
        if (awaitingSnapshot) {
            return Outcome.NOTHING;
        }
        awaitingSnapshot = true;
        return request(reason);
    }

    private Outcome request(String reason) {
        if (++resyncsInARow > MAX_RESYNCS_IN_A_ROW) {
            return new Outcome(Map.of(), null, reason + " (still, after " + MAX_RESYNCS_IN_A_ROW + " fresh snapshots)");
        }
        return Outcome.resync(reason);
    }

    private static Interest.Application interest(String application, Map<InterestEntry, Integer> entries) {
        return entries.isEmpty() ? NONE : InterestEntry.applications(entries).get(application);
    }
}
