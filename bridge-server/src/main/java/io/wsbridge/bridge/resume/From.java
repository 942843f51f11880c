package io.wsbridge.bridge.resume;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * Where a subscriber's stream starts: the {@code from} query parameter. {@code latest} (the default) is the live
 * stream from now; {@code earliest} is everything the topics still hold; an RFC 3339 time is the first event at or
 * after it (by Kafka's time index); a cursor is the position after the event that carried it.
 */
public sealed interface From {

    /** The live stream from now: no replay. */
    record Latest() implements From {
    }

    /** Everything the application's topics still hold. */
    record Earliest() implements From {
    }

    /** From the first record of each partition with a timestamp at or after {@code time}. */
    record At(Instant time) implements From {
    }

    /** From a {@code wsbridgecursor}; a partition it does not name is read from its earliest record. */
    record After(Cursor cursor) implements From {
    }

    /**
     * A group's place: from each position it names; a partition it does not name starts at its log end (nothing is
     * replayed there). Cluster mode's group places name only the partitions of the bridges that kept them.
     */
    record Place(Cursor cursor) implements From {
    }

    /**
     * Cluster mode: the first member here of a group that may have a place, known only once the consuming bridges
     * answered ({@link LiveBarrier}); {@code id} names the group in their answers. This bridge's own place, if it
     * kept one, comes from {@link Catchup.Target#placed()}.
     */
    record GroupPlace(String id) implements From {
        @Override
        public String toString() {
            return "its group's place";
        }
    }

    From LATEST = new Latest();
    From EARLIEST = new Earliest();

    /** A date, a time and an offset or Z: what an RFC 3339 time looks like, to tell a bad time from a bad cursor. */
    Pattern TIME_LIKE = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}[Tt ].*");
    /** Base64url whose first byte is below 4: every cursor version up to 3 starts with {@code A}. */
    Pattern CURSOR_LIKE = Pattern.compile("^A[A-Za-z0-9_-]+$");

    /** Whether the subscriber needs history before the live stream. */
    default boolean replays() {
        return !(this instanceof Latest);
    }

    /**
     * Reads a {@code from} value of a subscriber of {@code application}.
     *
     * @throws CursorException with a message for the client: a malformed cursor, a cursor of another application, a
     *     malformed time, or a value that is none of the forms
     */
    static From parse(String value, String application) throws CursorException {
        if (value.equals("latest")) {
            return LATEST;
        }
        if (value.equals("earliest")) {
            return EARLIEST;
        }
        if (TIME_LIKE.matcher(value).matches()) {
            try {
                return new At(OffsetDateTime.parse(value.replace(' ', 'T').replace('t', 'T').replace('z', 'Z'),
                        DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
            } catch (DateTimeParseException e) {
                throw new CursorException("from: not a valid RFC 3339 time with an offset (such as "
                        + "2026-12-02T15:04:05Z or 2026-12-02T16:04:05.250+01:00)");
            }
        }
        if (CURSOR_LIKE.matcher(value).matches()) {
            try {
                return new After(Cursor.decode(value, application));
            } catch (CursorException e) {
                throw new CursorException("from: " + e.getMessage());
            }
        }
        throw new CursorException("from must be earliest, latest, an RFC 3339 time (such as 2026-12-02T15:04:05Z) "
                + "or the wsbridgecursor of an event");
    }

    /**
     * Reads a Server-Sent Events client's {@code Last-Event-ID}: the {@code id} of a message of its stream, which is
     * always a cursor.
     *
     * @throws CursorException with a message for the client that names the header
     */
    static From afterLastEventId(String value, String application) throws CursorException {
        try {
            return new After(Cursor.decode(value, application));
        } catch (CursorException e) {
            throw new CursorException("Last-Event-ID: " + e.getMessage());
        }
    }
}
