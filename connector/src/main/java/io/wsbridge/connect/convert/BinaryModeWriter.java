package io.wsbridge.connect.convert;

import io.wsbridge.bridge.bus.EventAttributes;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fast path of {@link EventConverter}: writes the common binary-mode CloudEvent 1.0 straight from the record's
 * header bytes to the structured JSON frame, without building an SDK {@code CloudEvent}, parsing the time into an
 * {@code OffsetDateTime} or serializing through Jackson databind. It allocates little more than the frame itself.
 *
 * <p>It covers a subset and refuses the rest by returning {@code null}, so that the SDK path decides, with its
 * messages, on anything unusual: spec versions other than {@code 1.0}, missing or empty {@code id}, {@code source}
 * or {@code type}, header values that are not UTF-8, repeated headers, extension names other than lower-case
 * letters and digits, reserved names ({@code data}, {@code datacontenttype}), times not in the RFC 3339 form
 * {@code 2024-05-01T12:00:00.5Z} / {@code +02:00}, URIs it has not seen valid before and fail to parse, and JSON
 * data under a content type the SDK would not embed as JSON. For everything it accepts, the frame holds the same
 * JSON as the SDK's (same members and values; the time normalized as {@code OffsetDateTime} prints it; extensions
 * in header order), which {@code BinaryModeWriterTest} checks against the SDK on generated records.
 *
 * <p>Thread-safe: the scratch buffer and the first URI cache are per thread, the second URI cache concurrent.
 *
 * <p>Over 300 lines because the subset's checks, the per-thread scratch that remembers what repeats from record to
 * record, and the JSON writer must agree with one another, and are read together.
 */
final class BinaryModeWriter {

    /**
     * What the fast path found; {@code null} from {@link #write} means: use the SDK path. {@code application} is the
     * {@code application} extension as the SDK would read it, or {@code null}: the converter resolves and checks it
     * against the topic on both paths alike. {@code attributes} are the members of the frame besides the data, for
     * filters: the header bytes the frame was written from, without a copy.
     */
    record Result(byte[] frame, String subject, String application, EventAttributes attributes) {
    }

    private static final int MAX_EXTENSIONS = 32;
    private static final int URI_CACHE_LIMIT = 4096;
    private static final byte[] SPEC_VERSION_1 = ascii("1.0");
    // The frame's fixed parts, as bytes: written on every event.
    private static final byte[] HEAD = ascii("{\"specversion\":\"1.0\",\"id\":");
    private static final byte[] SOURCE = ascii(",\"source\":");
    private static final byte[] TYPE = ascii(",\"type\":");
    private static final byte[] CONTENT_TYPE = ascii(",\"datacontenttype\":");
    private static final byte[] DATA_SCHEMA = ascii(",\"dataschema\":");
    private static final byte[] SUBJECT = ascii(",\"subject\":");
    private static final byte[] TIME = ascii(",\"time\":\"");
    private static final byte[] DATA = ascii(",\"data\":");
    private static final byte[] DATA_BASE64_MEMBER = ascii(",\"data_base64\":\"");
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    // What a header is to the fast path (Scratch#kind): ignored, content-type, a ce_ attribute, an extension, refused.
    private static final byte KIND_OTHER = 0;
    private static final byte KIND_CONTENT_TYPE = 1;
    private static final byte KIND_SPEC_VERSION = 2;
    private static final byte KIND_ID = 3;
    private static final byte KIND_SOURCE = 4;
    private static final byte KIND_TYPE = 5;
    private static final byte KIND_DATA_SCHEMA = 6;
    private static final byte KIND_SUBJECT = 7;
    private static final byte KIND_TIME = 8;
    private static final byte KIND_EXTENSION = 9;
    private static final byte KIND_REFUSED = 10;
    /** How many header places {@link Scratch} remembers the keys of. */
    private static final int KEY_PLACES = 16;
    // The values Scratch#text decodes, each remembered with its bytes.
    private static final int TEXT_CONTENT_TYPE = 0;
    private static final int TEXT_APPLICATION = 1;
    private static final int TEXT_SUBJECT = 2;
    /** Longer values are decoded each time, not remembered. */
    private static final int TEXT_REMEMBERED_BYTES = 256;

    /**
     * URI values (source, dataschema) that {@link URI#URI(String)} accepted, for all threads; cleared when it grows too
     * big. Each thread looks in its own {@link Scratch#validUris} first.
     */
    private final ConcurrentHashMap<String, Boolean> validUris = new ConcurrentHashMap<>();
    private static final int URI_SLOTS = 256;

    /**
     * @return the frame, or {@code null} if the record is outside the subset this writer handles
     */
    Result write(SinkRecord record, byte[] value) {
        Scratch s = SCRATCH.get();
        s.reset();
        int place = 0;
        for (Header header : record.headers()) {
            int slot = place++;
            if (header.value() == null) {
                continue;
            }
            byte kind = s.kind(slot, header.key());
            if (kind == KIND_CONTENT_TYPE) {
                if (s.contentType != null) {
                    return null;
                }
                s.contentType = EventConverter.headerBytes(record, header);
            } else if (kind != KIND_OTHER && !s.attribute(kind, EventConverter.headerBytes(record, header))) {
                return null;
            }
        }
        if (!Arrays.equals(s.specVersion, SPEC_VERSION_1) || isEmpty(s.id) || isEmpty(s.source) || isEmpty(s.type)
                || !isUtf8(s.id) || !isUtf8(s.type) || !isUtf8(s.subject) || !isUtf8(s.contentType)
                || !validUri(s, s.source) || s.dataSchema != null && !validUri(s, s.dataSchema)) {
            return null;
        }
        byte[] time = null;
        if (s.time != null && (time = RfcTime.normalize(s.time)) == null) {
            return null;
        }
        for (int i = 0; i < s.extensions; i++) {
            if (!isUtf8(s.extensionValues[i])) {
                return null;
            }
        }
        String contentType = s.contentType == null ? null : s.text(TEXT_CONTENT_TYPE, s.contentType);
        if (contentType != null && contentType.strip().regionMatches(true, 0, EventConverter.STRUCTURED_PREFIX, 0,
                EventConverter.STRUCTURED_PREFIX.length())) {
            return null; // maybe structured mode, whatever the ce_ headers say: the SDK path decides
        }
        int data = dataForm(contentType, value);
        if (data == DATA_SDK) {
            return null;
        }

        JsonOut out = s.out;
        out.raw(HEAD).string(s.id)
                .raw(SOURCE).string(s.source)
                .raw(TYPE).string(s.type);
        if (s.contentType != null) {
            out.raw(CONTENT_TYPE).string(s.contentType);
        }
        if (s.dataSchema != null) {
            out.raw(DATA_SCHEMA).string(s.dataSchema);
        }
        if (s.subject != null) {
            out.raw(SUBJECT).string(s.subject);
        }
        if (time != null) {
            out.raw(TIME).raw(time).raw("\"");
        }
        String application = null;
        for (int i = 0; i < s.extensions; i++) {
            out.raw(",\"").raw(s.extensionNames[i]).raw("\":").string(s.extensionValues[i]);
            if (s.extensionNames[i].equals(ApplicationResolver.APPLICATION_EXTENSION)) {
                application = s.text(TEXT_APPLICATION, s.extensionValues[i]);
            }
        }
        switch (data) {
            case DATA_JSON -> out.raw(DATA).raw(value);
            case DATA_TEXT -> out.raw(DATA).string(value);
            case DATA_BASE64 -> out.raw(DATA_BASE64_MEMBER).raw(Base64.getEncoder().encode(value)).raw("\"");
            default -> {
            }
        }
        out.raw("}");
        String subject = s.subject == null ? null : s.text(TEXT_SUBJECT, s.subject);
        return new Result(out.toByteArray(), subject, application, s.attributes(time));
    }

    private static final int DATA_NONE = 0;
    private static final int DATA_JSON = 1;
    private static final int DATA_TEXT = 2;
    private static final int DATA_BASE64 = 3;
    private static final int DATA_SDK = 4;

    /** How {@link EventConverter}'s SDK path would write the data; {@link #DATA_SDK} where it re-encodes JSON. */
    private static int dataForm(String contentType, byte[] value) {
        if (value == null || value.length == 0) {
            return DATA_NONE; // the SDK's binary-mode reader reads an empty value as no data
        }
        if (Payloads.serializerEmbedsAsJson(contentType)) {
            return Payloads.isJson(value) ? DATA_JSON : DATA_BASE64;
        }
        if (Payloads.isJsonMediaType(contentType)) {
            return DATA_SDK;
        }
        return Payloads.isTextMediaType(contentType) && Payloads.isUtf8(value) ? DATA_TEXT : DATA_BASE64;
    }

    private boolean validUri(Scratch s, byte[] bytes) {
        int slot = Scratch.uriSlot(bytes);
        if (Arrays.equals(s.validUris[slot], bytes)) {
            return true;
        }
        if (!Payloads.isUtf8(bytes)) {
            return false;
        }
        String uri = new String(bytes, StandardCharsets.UTF_8);
        if (validUris.containsKey(uri)) {
            return true;
        }
        try {
            new URI(uri);
        } catch (URISyntaxException e) {
            return false;
        }
        if (validUris.size() >= URI_CACHE_LIMIT) {
            validUris.clear();
        }
        validUris.put(uri, Boolean.TRUE);
        s.validUris[slot] = bytes.clone(); // a copy: the record's header array is not this cache's to keep
        return true;
    }

    private static boolean isEmpty(byte[] bytes) {
        return bytes == null || bytes.length == 0;
    }

    private static boolean isUtf8(byte[] bytes) {
        return bytes == null || Payloads.isUtf8(bytes);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** The attributes of one record, and the output buffer, reused by a thread from record to record. */
    private static final class Scratch {
        byte[] specVersion;
        byte[] id;
        byte[] source;
        byte[] type;
        byte[] dataSchema;
        byte[] subject;
        byte[] time;
        byte[] contentType;
        final String[] extensionNames = new String[MAX_EXTENSIONS];
        final byte[][] extensionValues = new byte[MAX_EXTENSIONS][];
        int extensions;
        final JsonOut out = new JsonOut();
        /**
         * URI values this thread found valid, by a hash of their bytes, one per slot: most records repeat a source
         * seen shortly before, and this finds it without making a {@code String} of it.
         */
        final byte[][] validUris = new byte[URI_SLOTS][];
        /** The header keys last seen at each place, what they were, and the extension name of those that are one. */
        final String[] keys = new String[KEY_PLACES];
        final byte[] kinds = new byte[KEY_PLACES];
        final String[] extensionOfKey = new String[KEY_PLACES];
        /** The extension name of the key {@link #kind} looked at last, if it is one. */
        String extension;
        /** The values {@link #text} decoded last, and their bytes. */
        final byte[][] textBytes = new byte[3][];
        final String[] texts = new String[3];
        /** The member names of the last {@link #attributes}, shared by the events while they repeat. */
        final String[] names = new String[8 + MAX_EXTENSIONS];
        String[] lastNames;

        static int uriSlot(byte[] bytes) {
            int hash = 0;
            for (byte b : bytes) {
                hash = 31 * hash + b;
            }
            return (hash ^ hash >>> 8) & (URI_SLOTS - 1);
        }

        void reset() {
            specVersion = id = source = type = dataSchema = subject = time = contentType = null;
            Arrays.fill(extensionNames, 0, extensions, null);
            Arrays.fill(extensionValues, 0, extensions, null);
            extensions = 0;
            out.reset();
        }

        /** The members the frame was written with, besides the data, in the frame's order; {@code time} normalized. */
        EventAttributes attributes(byte[] time) {
            int size = 4 + (contentType == null ? 0 : 1) + (dataSchema == null ? 0 : 1) + (subject == null ? 0 : 1)
                    + (time == null ? 0 : 1) + extensions;
            byte[][] values = new byte[size][];
            int i = 0;
            names[i] = "specversion";
            values[i++] = SPEC_VERSION_1;
            names[i] = "id";
            values[i++] = id;
            names[i] = "source";
            values[i++] = source;
            names[i] = "type";
            values[i++] = type;
            i = optional(names, values, i, "datacontenttype", contentType);
            i = optional(names, values, i, "dataschema", dataSchema);
            i = optional(names, values, i, "subject", subject);
            i = optional(names, values, i, "time", time);
            System.arraycopy(extensionNames, 0, names, i, extensions);
            System.arraycopy(extensionValues, 0, values, i, extensions);
            return EventAttributes.ofUtf8(sharedNames(size), values);
        }

        /**
         * The first {@code size} of {@link #names} as an array of their own, the last one's again if they are the
         * same strings (the names are constants, or the extension names {@link #kind} keeps): the events of one
         * producer share one, which nobody changes.
         */
        private String[] sharedNames(int size) {
            String[] last = lastNames;
            if (last != null && last.length == size) {
                int i = 0;
                while (i < size && last[i] == names[i]) {
                    i++;
                }
                if (i == size) {
                    return last;
                }
            }
            lastNames = Arrays.copyOf(names, size);
            return lastNames;
        }

        private static int optional(String[] names, byte[][] values, int at, String name, byte[] value) {
            if (value == null) {
                return at;
            }
            names[at] = name;
            values[at] = value;
            return at + 1;
        }

        /**
         * What the header at {@code place} with {@code key} is. Records of one producer repeat their header keys in
         * the same order, each key a new {@code String}: the kind found for a place is kept with the key, and found
         * again by one {@code equals}, without hashing the key or checking an extension name again.
         */
        byte kind(int place, String key) {
            if (place < KEY_PLACES && key.equals(keys[place])) {
                extension = extensionOfKey[place];
                return kinds[place];
            }
            byte kind = kindOf(key);
            extension = kind == KIND_EXTENSION ? key.substring(3) : null;
            if (place < KEY_PLACES) {
                keys[place] = key;
                kinds[place] = kind;
                extensionOfKey[place] = extension;
            }
            return kind;
        }

        private static byte kindOf(String key) {
            if (key.equals("content-type")) {
                return KIND_CONTENT_TYPE;
            }
            if (!key.startsWith("ce_")) {
                return KIND_OTHER;
            }
            return switch (key) {
                case "ce_specversion" -> KIND_SPEC_VERSION;
                case "ce_id" -> KIND_ID;
                case "ce_source" -> KIND_SOURCE;
                case "ce_type" -> KIND_TYPE;
                case "ce_dataschema" -> KIND_DATA_SCHEMA;
                case "ce_subject" -> KIND_SUBJECT;
                case "ce_time" -> KIND_TIME;
                default -> validExtension(key.substring(3)) ? KIND_EXTENSION : KIND_REFUSED;
            };
        }

        private static boolean validExtension(String name) {
            if (name.isEmpty() || name.equals("data") || name.equals("datacontenttype")
                    || name.equals(EventConverter.CURSOR_EXTENSION)) {
                return false;
            }
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Takes one {@code ce_} header of {@code kind}, just found by {@link #kind}; {@code false} if the record needs
         * the SDK path.
         */
        boolean attribute(byte kind, byte[] value) {
            return switch (kind) {
                case KIND_SPEC_VERSION -> specVersion == null && (specVersion = value) != null;
                case KIND_ID -> id == null && (id = value) != null;
                case KIND_SOURCE -> source == null && (source = value) != null;
                case KIND_TYPE -> type == null && (type = value) != null;
                case KIND_DATA_SCHEMA -> dataSchema == null && (dataSchema = value) != null;
                case KIND_SUBJECT -> subject == null && (subject = value) != null;
                case KIND_TIME -> time == null && (time = value) != null;
                case KIND_EXTENSION -> extension(extension, value);
                default -> false;
            };
        }

        private boolean extension(String name, byte[] value) {
            if (extensions == MAX_EXTENSIONS) {
                return false;
            }
            for (int i = 0; i < extensions; i++) {
                if (extensionNames[i].equals(name)) {
                    return false;
                }
            }
            extensionNames[extensions] = name;
            extensionValues[extensions] = value;
            extensions++;
            return true;
        }

        /**
         * {@code utf8} decoded; the value decoded last for {@code what} is kept with a copy of its bytes and given
         * again while the bytes repeat (the same application, channel or content type in record after record), so
         * the string's hash, computed once, is reused by the maps the event goes through.
         */
        String text(int what, byte[] utf8) {
            if (Arrays.equals(textBytes[what], utf8)) {
                return texts[what];
            }
            String text = new String(utf8, StandardCharsets.UTF_8);
            if (utf8.length <= TEXT_REMEMBERED_BYTES) {
                textBytes[what] = utf8.clone();
                texts[what] = text;
            }
            return text;
        }
    }

    /** A growable UTF-8 buffer that writes JSON strings escaped as Jackson escapes them by default. */
    static final class JsonOut {
        private static final byte[] HEX = ascii("0123456789abcdef");
        private byte[] buffer = new byte[2048];
        private int length;

        void reset() {
            length = 0;
            if (buffer.length > 1 << 20) {
                buffer = new byte[2048]; // do not keep a buffer grown for one 5 MB record
            }
        }

        JsonOut raw(String ascii) {
            ensure(ascii.length());
            for (int i = 0; i < ascii.length(); i++) {
                buffer[length++] = (byte) ascii.charAt(i);
            }
            return this;
        }

        JsonOut raw(byte[] bytes) {
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buffer, length, bytes.length);
            length += bytes.length;
            return this;
        }

        /** A JSON string of UTF-8 bytes that are known to be well-formed: runs without escapes are copied whole. */
        JsonOut string(byte[] utf8) {
            int n = utf8.length;
            ensure(n + 2);
            buffer[length++] = '"';
            int from = 0;
            while (true) {
                int stop = ByteScan.plainString(utf8, from, n, false);
                ensure(stop - from + 1);
                System.arraycopy(utf8, from, buffer, length, stop - from);
                length += stop - from;
                if (stop == n) {
                    break;
                }
                escape(utf8[stop]);
                from = stop + 1;
            }
            buffer[length++] = '"';
            return this;
        }

        private void escape(byte b) {
            ensure(6);
            buffer[length++] = '\\';
            switch (b) {
                case '"' -> buffer[length++] = '"';
                case '\\' -> buffer[length++] = '\\';
                case '\b' -> buffer[length++] = 'b';
                case '\t' -> buffer[length++] = 't';
                case '\n' -> buffer[length++] = 'n';
                case '\f' -> buffer[length++] = 'f';
                case '\r' -> buffer[length++] = 'r';
                default -> {
                    buffer[length++] = 'u';
                    buffer[length++] = '0';
                    buffer[length++] = '0';
                    buffer[length++] = HEX[b >> 4];
                    buffer[length++] = HEX[b & 0xF];
                }
            }
        }

        private void ensure(int more) {
            if (length + more > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buffer, length);
        }
    }
}
