package io.wsbridge.bridge.filter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.bus.EventAttributes;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The context attributes and extensions of one event, as filters see them: built at most once per event, and only for
 * events of an application that has a filtered subscriber. Either read from the event's frame (a CloudEvent in
 * structured JSON: {@code data} and {@code data_base64} are skipped without being built, extension values keep their
 * JSON type: string, integer, boolean), or taken from the {@link EventAttributes} the connector attached, with the
 * cursor the frame was stamped with: the same members and values either way, without parsing the frame. Filters see
 * attributes and extensions only, never data.
 *
 * <p>{@link #value} is what the fast evaluator reads; the {@link CloudEvent} methods are what the CloudEvents SQL
 * runtime reads, and answer alike. Not thread-safe: one view per event and thread.
 */
public final class EventView implements CloudEvent {

    private static final JsonFactory JSON = new JsonFactory();
    /** The CloudEvents 1.0 context attributes; every other top-level member of the JSON is an extension. */
    private static final Set<String> CONTEXT = Set.of("specversion", "id", "source", "type", "datacontenttype",
            "dataschema", "subject", "time");

    /** Member names, each once; with {@link #attributes}, {@code null}: the names are the attributes'. */
    private String[] names;
    /** Values (string, integer or boolean); with {@link #attributes}, decoded on first use. */
    private Object[] values;
    private int size;
    private final EventAttributes attributes;
    private final String cursor;

    private EventView(String[] names, Object[] values, int size) {
        this.names = names;
        this.values = values;
        this.size = size;
        this.attributes = null;
        this.cursor = null;
    }

    private EventView(EventAttributes attributes, String cursor) {
        this.attributes = attributes;
        this.cursor = cursor;
        this.size = attributes.size();
        this.values = new Object[size];
    }

    /**
     * The attributes of an event: those the connector attached, else read from its frame.
     *
     * @throws IllegalArgumentException if the frame has to be read and is not a JSON object
     */
    public static EventView of(Event event) {
        EventAttributes attached = event.attributes();
        return attached != null ? of(attached, event.cursor()) : of(event.payload());
    }

    /**
     * The attributes the connector read, and the cursor the frame was stamped with: its {@value
     * Event#CURSOR_ATTRIBUTE} member, unless the attributes have one of that name themselves (the later member wins,
     * as when reading the frame).
     *
     * @param cursor the event's {@link Event#cursor()}, or {@code null}
     */
    public static EventView of(EventAttributes attributes, String cursor) {
        return new EventView(attributes, cursor);
    }

    /**
     * Reads the attributes of a structured CloudEvent.
     *
     * @throws IllegalArgumentException if the bytes are not a JSON object
     */
    public static EventView of(byte[] utf8) {
        return of(ByteBuffer.wrap(utf8));
    }

    /**
     * Reads the attributes of a structured CloudEvent from a view of its frame, without copying it.
     *
     * @throws IllegalArgumentException if the bytes are not a JSON object
     */
    public static EventView of(ByteBuffer utf8) {
        try {
            return read(JSON.createParser(new ByteBufferBackedInputStream(utf8)));
        } catch (IOException e) {
            throw new IllegalArgumentException("the event is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static EventView read(JsonParser created) {
        EventView view = new EventView(new String[16], new Object[16], 0);
        try (JsonParser parser = created) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("the event is not a JSON object");
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("data") || name.equals("data_base64")) {
                    parser.skipChildren();
                    continue;
                }
                Object read = scalar(parser, value);
                if (read != null) {
                    view.put(name, isContextAttribute(name) ? read.toString() : read);
                }
            }
            if (token != JsonToken.END_OBJECT) {
                throw new IllegalArgumentException("the event is not a complete JSON object");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("the event is not valid JSON: " + e.getMessage(), e);
        }
        return view;
    }

    /** Sets a member read from the frame; a member that comes again replaces the earlier one. */
    private void put(String name, Object value) {
        for (int i = 0; i < size; i++) {
            if (names[i].equals(name)) {
                values[i] = value;
                return;
            }
        }
        if (size == names.length) {
            names = Arrays.copyOf(names, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        names[size] = name;
        values[size++] = value;
    }

    private static Object scalar(JsonParser parser, JsonToken value) throws IOException {
        return switch (value) {
            case VALUE_STRING, VALUE_NUMBER_FLOAT -> parser.getText();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            // CloudEvents integers are 32-bit; a larger number is kept as its text.
            case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.INT
                    ? (Object) parser.getIntValue() : parser.getText();
            case START_OBJECT, START_ARRAY -> {
                parser.skipChildren();
                yield null;
            }
            default -> null;
        };
    }

    private static boolean isContextAttribute(String name) {
        return CONTEXT.contains(name);
    }

    /**
     * The value of the context attribute or extension of that exact name (a string, an integer or a boolean; context
     * attributes are always strings), or {@code null} if the event has none.
     */
    public Object value(String name) {
        if (attributes == null) {
            for (int i = 0; i < size; i++) {
                if (names[i].equals(name)) {
                    return values[i];
                }
            }
            return null;
        }
        for (int i = 0; i < size; i++) {
            if (attributes.name(i).equals(name)) {
                Object value = values[i];
                if (value == null) {
                    value = attributes.value(i);
                    values[i] = value;
                }
                return value;
            }
        }
        return cursor != null && name.equals(Event.CURSOR_ATTRIBUTE) ? cursor : null;
    }

    /** The names of the members {@link #value} answers for, context attributes ({@code true}) or extensions. */
    private Set<String> names(boolean context) {
        Set<String> found = new HashSet<>();
        for (int i = 0; i < size; i++) {
            String name = attributes == null ? names[i] : attributes.name(i);
            if (isContextAttribute(name) == context) {
                found.add(name);
            }
        }
        if (!context && cursor != null) {
            found.add(Event.CURSOR_ATTRIBUTE);
        }
        return found;
    }

    @Override
    public CloudEventData getData() {
        return null;
    }

    @Override
    public SpecVersion getSpecVersion() {
        String version = (String) context("specversion");
        try {
            return version == null ? SpecVersion.V1 : SpecVersion.parse(version);
        } catch (IllegalArgumentException e) {
            return SpecVersion.V1;
        }
    }

    @Override
    public String getId() {
        return (String) context("id");
    }

    @Override
    public String getType() {
        return (String) context("type");
    }

    @Override
    public URI getSource() {
        return uri("source");
    }

    @Override
    public String getDataContentType() {
        return (String) context("datacontenttype");
    }

    @Override
    public URI getDataSchema() {
        return uri("dataschema");
    }

    @Override
    public String getSubject() {
        return (String) context("subject");
    }

    @Override
    public OffsetDateTime getTime() {
        String time = (String) context("time");
        try {
            return time == null ? null : OffsetDateTime.parse(time);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The attribute's value as the frame carries it: filters compare context attributes as strings. */
    @Override
    public Object getAttribute(String name) {
        return context(name);
    }

    @Override
    public Set<String> getAttributeNames() {
        return names(true);
    }

    @Override
    public Object getExtension(String name) {
        return isContextAttribute(name) ? null : value(name);
    }

    @Override
    public Set<String> getExtensionNames() {
        return names(false);
    }

    private Object context(String name) {
        return isContextAttribute(name) ? value(name) : null;
    }

    private URI uri(String name) {
        String value = (String) context(name);
        try {
            return value == null ? null : new URI(value);
        } catch (URISyntaxException e) {
            return null;
        }
    }

}
