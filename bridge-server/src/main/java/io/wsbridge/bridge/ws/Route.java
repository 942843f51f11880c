package io.wsbridge.bridge.ws;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The target of an upgrade: {@code /{application}} or {@code /{application}/{channel}}, percent-decoded. A
 * channel may hold an encoded slash ({@code %2F}); an application may not.
 *
 * @param application the application to read
 * @param channel the channel (CloudEvent subject) to filter on, or {@code null}
 */
record Route(String application, String channel) {

    static final int MAX_NAME_LENGTH = 255;

    /** @return the route, or {@code null} if the path is not one */
    static Route parse(String rawPath) {
        if (rawPath == null || !rawPath.startsWith("/")) {
            return null;
        }
        String[] segments = rawPath.substring(1).split("/", -1);
        if (segments.length > 2) {
            return null;
        }
        String application = decode(segments[0]);
        String channel = segments.length == 2 ? decode(segments[1]) : null;
        if (!valid(application) || application.indexOf('/') >= 0 || segments.length == 2 && !valid(channel)) {
            return null;
        }
        return new Route(application, channel);
    }

    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean valid(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH || name.equals(".")
                || name.equals("..") || name.indexOf('\uFFFD') >= 0) {
            return false;
        }
        return name.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }
}
