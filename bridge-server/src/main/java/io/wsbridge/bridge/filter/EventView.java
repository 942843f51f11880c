package io.wsbridge.bridge.filter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The context attributes and extensions of one event, read from its frame (a CloudEvent in structured JSON) for
 * filters to evaluate: built once per event, and only for events of an application that has a filtered subscriber.
 * It skips {@code data} and {@code data_base64} without building them, and exposes no data: filters see attributes
 * and extensions only. Extension values keep their JSON type (string, integer, boolean).
 */
public final class EventView implements CloudEvent {

    private static final JsonFactory JSON = new JsonFactory();

    private final Map<String, Object> attributes;
    private final Map<String, Object> extensions;

    private EventView(Map<String, Object> attributes, Map<String, Object> extensions) {
        this.attributes = attributes;
        this.extensions = extensions;
    }

    /**
     * Reads the attributes of a structured CloudEvent.
     *
     * @throws IllegalArgumentException if the bytes are not a JSON object
     */
    public static EventView of(byte[] utf8) {
        try {
            return read(JSON.createParser(utf8));
        } catch (IOException e) {
            throw new IllegalArgumentException("the event is not valid JSON: " + e.getMessage(), e);
        }
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
        Map<String, Object> attributes = new HashMap<>(16);
        Map<String, Object> extensions = new HashMap<>(8);
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
                if (read == null) {
                    continue;
                }
                if (Attributes.isContextAttribute(name)) {
                    attributes.put(name, read.toString());
                } else {
                    extensions.put(name, read);
                }
            }
            if (token != JsonToken.END_OBJECT) {
                throw new IllegalArgumentException("the event is not a complete JSON object");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("the event is not valid JSON: " + e.getMessage(), e);
        }
        return new EventView(attributes, extensions);
    }

    private static Object scalar(JsonParser parser, JsonToken value) throws IOException {
        switch (value) {
            case VALUE_STRING:
                return parser.getText();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NUMBER_INT:
                // CloudEvents integers are 32-bit; a larger number is kept as its text.
                return parser.getNumberType() == JsonParser.NumberType.INT ? (Object) parser.getIntValue()
                        : parser.getText();
            case VALUE_NUMBER_FLOAT:
                return parser.getText();
            case START_OBJECT:
            case START_ARRAY:
                parser.skipChildren();
                return null;
            default:
                return null;
        }
    }

    @Override
    public CloudEventData getData() {
        return null;
    }

    @Override
    public SpecVersion getSpecVersion() {
        String version = (String) attributes.get("specversion");
        try {
            return version == null ? SpecVersion.V1 : SpecVersion.parse(version);
        } catch (IllegalArgumentException e) {
            return SpecVersion.V1;
        }
    }

    @Override
    public String getId() {
        return (String) attributes.get("id");
    }

    @Override
    public String getType() {
        return (String) attributes.get("type");
    }

    @Override
    public URI getSource() {
        return uri("source");
    }

    @Override
    public String getDataContentType() {
        return (String) attributes.get("datacontenttype");
    }

    @Override
    public URI getDataSchema() {
        return uri("dataschema");
    }

    @Override
    public String getSubject() {
        return (String) attributes.get("subject");
    }

    @Override
    public OffsetDateTime getTime() {
        String time = (String) attributes.get("time");
        try {
            return time == null ? null : OffsetDateTime.parse(time);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The attribute's value as the frame carries it: filters compare context attributes as strings. */
    @Override
    public Object getAttribute(String name) {
        return attributes.get(name);
    }

    @Override
    public Set<String> getAttributeNames() {
        return attributes.keySet();
    }

    @Override
    public Object getExtension(String name) {
        return extensions.get(name);
    }

    @Override
    public Set<String> getExtensionNames() {
        return extensions.keySet();
    }

    private URI uri(String name) {
        String value = (String) attributes.get(name);
        try {
            return value == null ? null : new URI(value);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** The CloudEvents 1.0 context attributes; every other top-level member of the JSON is an extension. */
    private static final class Attributes {

        private static final Set<String> NAMES = Set.of("specversion", "id", "source", "type", "datacontenttype",
                "dataschema", "subject", "time");

        static boolean isContextAttribute(String name) {
            return NAMES.contains(name);
        }
    }
}
