package io.wsbridge.bridge.bus;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The context attributes and extensions of an event as the connector read them when it wrote the frame (binary mode:
 * one {@code ce_*} header each), so that filters need not parse the frame again. Every value is a string, as the
 * frame carries it (the time as the frame has it, normalized), kept as its UTF-8 bytes: a value is decoded only if a
 * filter reads it. The frame must hold exactly these members besides the data, one each.
 *
 * <p>Immutable; the connector hands its arrays over and changes them no more (it may hand the same names array to
 * several events while their names repeat).
 */
public final class EventAttributes {

    private final String[] names;
    private final byte[][] values;

    private EventAttributes(String[] names, byte[][] values) {
        this.names = names;
        this.values = values;
    }

    /**
     * @param names the member names, each once; neither array may change afterwards (the names may be shared)
     * @param utf8Values the string value of each, as well-formed UTF-8
     */
    public static EventAttributes ofUtf8(String[] names, byte[][] utf8Values) {
        if (names.length != utf8Values.length) {
            throw new IllegalArgumentException(names.length + " names for " + utf8Values.length + " values");
        }
        for (int i = 0; i < names.length; i++) {
            Objects.requireNonNull(names[i], "name");
            Objects.requireNonNull(utf8Values[i], "value");
        }
        return new EventAttributes(names, utf8Values);
    }

    public int size() {
        return names.length;
    }

    public String name(int index) {
        return names[index];
    }

    /** The value of the {@code index}th member, decoded (a new string on each call). */
    public String value(int index) {
        return new String(values[index], StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("EventAttributes[");
        for (int i = 0; i < names.length; i++) {
            text.append(i == 0 ? "" : ", ").append(names[i]).append('=').append(value(i));
        }
        return text.append(']').toString();
    }
}
