package io.wsbridge.connect.convert;

import java.util.Locale;

/**
 * Cheap checks on payload bytes and media types, used to decide how event data is written. The byte checks allocate
 * nothing.
 */
final class Payloads {

    private Payloads() {
    }

    /** Whether the bytes are well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
    static boolean isUtf8(byte[] bytes) {
        int n = bytes.length;
        int i = ByteScan.ascii(bytes, 0, n);
        while (i < n) {
            int length = utf8Sequence(bytes, i, n);
            if (length == 0) {
                return false;
            }
            i = ByteScan.ascii(bytes, i + length, n);
        }
        return true;
    }

    /**
     * The length of the well-formed UTF-8 sequence of two to four bytes that starts at {@code i} (below {@code n}) with
     * a byte of 0x80 or above, or 0 if it is not one.
     */
    static int utf8Sequence(byte[] bytes, int i, int n) {
        int b = bytes[i] & 0xFF;
        int more;
        int min;
        if (b >= 0xC2 && b <= 0xDF) {
            more = 1;
            min = 0x80;
        } else if (b >= 0xE0 && b <= 0xEF) {
            more = 2;
            min = 0x800;
        } else if (b >= 0xF0 && b <= 0xF4) {
            more = 3;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + more >= n) {
            return 0;
        }
        int cp = b & (0x3F >> more);
        for (int k = 1; k <= more; k++) {
            int c = bytes[i + k] & 0xFF;
            if ((c & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        return more + 1;
    }

    /**
     * Whether the bytes are exactly one JSON value in UTF-8 without a byte order mark, so that they can be
     * embedded as they are in a JSON document.
     */
    static boolean isJson(byte[] bytes) {
        return bytes.length > 0 && !startsWithByteOrderMark(bytes) && new JsonCheck(bytes, true).document();
    }

    /**
     * Like {@link #isJson(byte[])} for bytes already known to be UTF-8: one value of RFC 8259's grammar, with white
     * space around it, nested at most {@value JsonCheck#MAX_DEPTH} deep (Jackson's default limit). A scanner of its
     * own, without allocation: it runs for every event.
     */
    static boolean isWellFormedJson(byte[] utf8) {
        if (utf8.length == 0 || startsWithByteOrderMark(utf8)) {
            return false;
        }
        return new JsonCheck(utf8).document();
    }

    private static boolean startsWithByteOrderMark(byte[] bytes) {
        return bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF;
    }

    /**
     * Whether cloudevents-json-jackson's serializer embeds data of this content type as raw JSON: no content
     * type, or {@code application/json}, {@code text/json}, {@code application/<letters>+json} (also
     * {@code text/}), exactly in lower case, optionally followed by parameters. Mirrors its documented
     * behaviour so that only data that really is JSON reaches that path.
     */
    static boolean serializerEmbedsAsJson(String contentType) {
        if (contentType == null) {
            return true;
        }
        int semicolon = contentType.indexOf(';');
        String essence = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        String subtype;
        if (essence.startsWith("application/")) {
            subtype = essence.substring("application/".length());
        } else if (essence.startsWith("text/")) {
            subtype = essence.substring("text/".length());
        } else {
            return false;
        }
        if (subtype.equals("json")) {
            return true;
        }
        if (!subtype.endsWith("+json") || subtype.length() == "+json".length()) {
            return false;
        }
        for (int i = 0; i < subtype.length() - "+json".length(); i++) {
            char c = subtype.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')) {
                return false;
            }
        }
        return true;
    }

    /** Whether the media type says JSON: {@code application/json}, {@code text/json} or a {@code +json} suffix, any case. */
    static boolean isJsonMediaType(String contentType) {
        String essence = essence(contentType);
        int slash = essence.indexOf('/');
        if (slash < 0) {
            return false;
        }
        String type = essence.substring(0, slash);
        String subtype = essence.substring(slash + 1);
        return (type.equals("application") || type.equals("text"))
                && (subtype.equals("json") || subtype.endsWith("+json"));
    }

    /** Whether the media type says text: {@code text/*}, XML, or any type with a {@code charset} parameter. */
    static boolean isTextMediaType(String contentType) {
        if (contentType == null) {
            return false;
        }
        String essence = essence(contentType);
        return essence.startsWith("text/")
                || essence.endsWith("/xml")
                || essence.endsWith("+xml")
                || contentType.toLowerCase(Locale.ROOT).contains("charset=");
    }

    /** The media type without parameters, trimmed and in lower case; empty for {@code null}. */
    static String essence(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        String essence = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        return essence.trim().toLowerCase(Locale.ROOT);
    }
}
