package io.wsbridge.bridge.ws;

import io.wsbridge.bridge.auth.AccessDecision;
import io.wsbridge.bridge.auth.AccessPolicy;
import io.wsbridge.bridge.auth.Credentials;
import io.wsbridge.bridge.auth.CredentialsException;
import io.wsbridge.bridge.auth.CredentialsParser;
import io.wsbridge.bridge.auth.LookupOrigin;
import io.wsbridge.bridge.auth.LookupRefusedException;
import io.wsbridge.bridge.filter.Filters;
import io.wsbridge.bridge.filter.InvalidFilterException;
import io.wsbridge.bridge.resume.Catchup;
import io.wsbridge.bridge.resume.Cursor;
import io.wsbridge.bridge.resume.CursorException;
import io.wsbridge.bridge.resume.From;
import io.wsbridge.bridge.resume.Replays;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.GroupPlaces;
import io.wsbridge.bridge.session.Refusals;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToIntBiFunction;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may read what, the same for every transport (a WebSocket upgrade, a Server-Sent Events request): first a
 * connection slot ({@link ConnectionLimits}; none left = 503 with {@code Retry-After}, before any other work), then
 * the route, the query, the credentials, the access policy, the filter (what the client asks for, restricted to what
 * access control pins on its user) and the starting position, each refusal with its status: 400, 401 (with
 * {@code WWW-Authenticate}), 403 (an {@code Origin} outside the allow-list, a pinned filter that is not valid), 404,
 * 429 or 503 (with {@code Retry-After} where trying later may help: a limit on identity provider lookups, the provider
 * unavailable). A subscriber with {@code ?from=} (other than {@code latest}) also takes a replay slot
 * ({@link Replays}; none left = 503 with {@code Retry-After}), checked after its credentials: a cursor grants nothing.
 * A refused request gives its connection slot back before the answer. The first member of a group whose last member
 * left within the group retention time starts from the group's place ({@link GroupPlaces}), as if it had asked for it.
 *
 * <p>Over 300 lines because every check of a request, in the order the statuses depend on, reads best in one place;
 * each check itself is small.
 */
final class Admission {

    private static final Logger log = LoggerFactory.getLogger(Admission.class);
    static final String WWW_AUTHENTICATE = "Bearer realm=\"wsbridge\", Basic realm=\"wsbridge\"";
    static final int MAX_GROUP_ID_LENGTH = 255;
    /** Longest name of a principal whose clients may form groups (cluster peers announce groups with it). */
    static final int MAX_PRINCIPAL_LENGTH = 255;
    /** Query parameters of features that are planned but not there yet: refused rather than silently ignored. */
    static final Map<String, String> NOT_IMPLEMENTED = Map.of();
    /** The refusal (403) of a user whose access control pins a filter that is not valid. */
    static final String PINNED_FILTER_INVALID = "your access is restricted to a filter that is not valid: ask an"
            + " administrator to correct it";
    /** What a client refused for want of a connection slot or a replay slot is told to wait before it tries again. */
    static final int RETRY_AFTER_SECONDS = 10;

    /**
     * What an admitted request asked for and was allowed.
     *
     * @param groupId the {@code group_id}, or {@code null}
     * @param filter the validated filter expression (with the pinned filters, if any), or {@code null}
     * @param groupPlace where the subscriber's group stood when its last member left, if the subscriber is the first
     *     to join it again within the retention time (then {@code from} starts there); {@code null} otherwise
     */
    record Ticket(Route route, String groupId, String filter, Credentials credentials, AccessDecision decision,
            From from, Cursor groupPlace) {
    }

    private final SubscriberHost host;
    private final Supplier<AccessPolicy> policy;
    private final ConnectionLimits limits;
    private final Filters filters;
    private final Supplier<Replays> replays;
    private final GroupPlaces places;
    private final ToIntBiFunction<String, GroupKey> groupMembers;

    /**
     * @param places where groups whose last member left stand
     * @param groupMembers the members of a group connected to this bridge
     */
    Admission(SubscriberHost host, Supplier<AccessPolicy> policy, ConnectionLimits limits, Filters filters,
            Supplier<Replays> replays, GroupPlaces places, ToIntBiFunction<String, GroupKey> groupMembers) {
        this.host = host;
        this.policy = policy;
        this.limits = limits;
        this.filters = filters;
        this.replays = replays;
        this.places = places;
        this.groupMembers = groupMembers;
    }

    /**
     * Takes a connection slot for the request's connection, or answers 503.
     *
     * @return whether it has one now; if not, the request was answered
     */
    boolean takeSlot(Request request, Response response, Callback callback, String remote, InetAddress address) {
        var settings = host.settings();
        switch (limits.acquire(endPoint(request), address, settings.maxConnections(),
                settings.maxConnectionsPerAddress())) {
            case TOO_MANY_CONNECTIONS -> {
                Refusals.refuseBusy(request, response, callback, host.metrics(), "too_many_connections",
                        "too many connections: try again later", RETRY_AFTER_SECONDS, remote);
                return false;
            }
            case TOO_MANY_FROM_ADDRESS -> {
                Refusals.refuseBusy(request, response, callback, host.metrics(), "too_many_from_address",
                        "too many connections from your address: try again later", RETRY_AFTER_SECONDS, remote);
                return false;
            }
            default -> {
                return true; // a slot is ours until the connection ends, or the request is refused
            }
        }
    }

    /** Gives back the slot of the request's connection, e.g. when what follows the admission fails. */
    void releaseSlot(Request request) {
        limits.release(endPoint(request));
    }

    /**
     * Checks everything but the slot, which the caller holds.
     *
     * @param lastEventId a Server-Sent Events client's {@code Last-Event-ID}: where it resumes, in place of
     *     {@code ?from=}; {@code null} for none
     * @return what it was allowed, or {@code null} if it was refused (answered, its slot given back)
     */
    Ticket admit(Request request, Response response, Callback callback, String remote, InetAddress address,
            String lastEventId) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        var origins = host.settings().allowedOrigins();
        if (origin != null && !origins.isEmpty() && !origins.contains(origin) && !isOwnOrigin(request, origin)) {
            return refuse(request, response, callback, 403, "origin not allowed", remote);
        }
        Route route = Route.parse(request.getHttpURI().getPath());
        if (route == null) {
            return refuse(request, response, callback, 404,
                    "no such route: connect to /{application} or /{application}/{channel}", remote);
        }
        Map<String, List<String>> query;
        try {
            query = query(request);
        } catch (RuntimeException e) {
            return refuse(request, response, callback, 400, "the query string cannot be decoded", remote);
        }
        for (Map.Entry<String, String> planned : NOT_IMPLEMENTED.entrySet()) {
            if (query.containsKey(planned.getKey())) {
                return refuse(request, response, callback, 400, planned.getValue(), remote);
            }
        }
        List<String> groups = query.getOrDefault("group_id", List.of());
        if (groups.size() > 1) {
            return refuse(request, response, callback, 400, "group_id is given more than once", remote);
        }
        String groupId = groups.isEmpty() ? null : groups.get(0);
        if (groupId != null && (groupId.isBlank() || groupId.length() > MAX_GROUP_ID_LENGTH
                || groupId.chars().anyMatch(c -> c < 0x20 || c == 0x7f))) {
            return refuse(request, response, callback, 400,
                    "group_id must be 1 to " + MAX_GROUP_ID_LENGTH + " printable characters", remote);
        }
        List<String> asked = query.getOrDefault("filter", List.of());
        if (asked.size() > 1) {
            return refuse(request, response, callback, 400, "filter is given more than once", remote);
        }
        Credentials credentials;
        try {
            credentials = CredentialsParser.parse(request.getHeaders().getValuesList(HttpHeader.AUTHORIZATION), query);
        } catch (CredentialsException e) {
            return refuse(request, response, callback, e.status(), e.getMessage(), remote);
        }
        AccessDecision decision = policy.get().check(credentials, route.application(), LookupOrigin.client(address));
        if (decision.status() == 503 && !isLookupLimit(decision)) {
            // The detail names internal addresses: it goes to the log, the client learns only to retry.
            log.warn("Refusing {} with 503: {}", remote, decision.reason());
            return refuseForNow(request, response, callback, new AccessDecision(503, null, false, null,
                    "identity provider unavailable: try again later",
                    decision.refusal() == null ? AccessDecision.UNAVAILABLE : decision.refusal(),
                    decision.retryAfterSeconds()), remote);
        }
        if (decision.retryAfterSeconds() > 0) {
            return refuseForNow(request, response, callback, decision, remote);
        }
        if (!decision.allowed()) {
            return refuse(request, response, callback, decision.status(), decision.reason(), remote);
        }
        if (groupId != null && !decision.anonymous() && decision.principal().length() > MAX_PRINCIPAL_LENGTH) {
            // the group belongs to the principal, and peers learn groups with their principal (names of bounded length)
            return refuse(request, response, callback, 400, "group_id needs a user name of at most "
                    + MAX_PRINCIPAL_LENGTH + " characters; connect without group_id", remote);
        }
        String filter;
        try {
            filter = filters.validate(decision.pinnedFilters(), asked.isEmpty() ? null : asked.get(0));
        } catch (InvalidFilterException e) {
            if (e.pinned()) {
                // An administrator's mistake: the detail may quote the pinned expression, which the client is not told.
                log.warn("Refusing {} ({} on '{}') with 403: {}", remote, decision.principal(), route.application(),
                        e.getMessage());
                return refuse(request, response, callback, 403, PINNED_FILTER_INVALID, remote);
            }
            return refuse(request, response, callback, 400, e.getMessage(), remote);
        }
        List<String> froms = query.getOrDefault("from", List.of());
        if (froms.size() > 1) {
            return refuse(request, response, callback, 400, "from is given more than once", remote);
        }
        From from;
        try {
            // A reconnecting Server-Sent Events client names the last event it got: that wins over the from of the
            // address it reconnects to, which is where its first connection started.
            from = lastEventId != null && !lastEventId.isBlank()
                    ? From.afterLastEventId(lastEventId.trim(), route.application())
                    : froms.isEmpty() ? From.LATEST : From.parse(froms.get(0), route.application());
        } catch (CursorException e) {
            return refuse(request, response, callback, 400, e.getMessage(), remote);
        }
        if (from.replays()) {
            if (groupId != null) {
                return refuse(request, response, callback, 400, "resuming or replaying a group (from with group_id) "
                        + "is not implemented yet", remote);
            }
            if (replays.get() == null) {
                return refuse(request, response, callback, 501, "resuming and replaying (from) need a Kafka "
                        + "connection that this bridge does not have", remote);
            }
        }
        Cursor groupPlace = null;
        GroupKey key = groupId == null ? null : new GroupKey(decision.anonymous() ? null : decision.principal(),
                groupId, route.channel(), filter);
        if (key != null && !from.replays() && places.enabled() && replays.get() != null
                && groupMembers.applyAsInt(route.application(), key) == 0) {
            // The first member here of a group whose last member left within the retention time gets what the group
            // missed. In cluster mode the consuming bridges keep the place, each for its partitions, and it is known
            // once they applied the member's interest; on one worker, it is kept here.
            if (host.settings().cluster() != null) {
                from = new From.GroupPlace(key.placeId(route.application()));
            } else {
                groupPlace = places.take(route.application(), key);
                if (groupPlace != null) {
                    from = new From.After(groupPlace);
                }
            }
        }
        return new Ticket(route, groupId, filter, credentials, decision, from, groupPlace);
    }

    /**
     * Starts the catch-up of an admitted subscriber whose ticket replays, or answers 503 when there is no replay slot.
     *
     * @return whether the subscriber may go on; if not, the request was answered and its connection slot given back
     */
    boolean startReplay(Ticket ticket, ClientSubscriber subscriber, Request request, Response response,
            Callback callback, String remote) {
        if (!ticket.from().replays()) {
            return true;
        }
        Replays current = replays.get();
        Catchup catchup = current == null ? null : current.tryStart(ticket.route().application(), ticket.from(),
                subscriber.catchupTarget(), host.settings().queueCapacity());
        if (catchup == null) {
            if (ticket.groupPlace() != null) {
                // the group keeps its place for its next member
                places.keep(ticket.route().application(), new GroupKey(ticket.decision().anonymous() ? null
                        : ticket.decision().principal(), ticket.groupId(), ticket.route().channel(), ticket.filter()),
                        ticket.groupPlace());
            }
            releaseSlot(request);
            Refusals.refuseBusy(request, response, callback, host.metrics(), "too_many_replays",
                    "too many replays at once: try again later", RETRY_AFTER_SECONDS, remote);
            return false;
        }
        subscriber.catchUp(catchup);
        if (ticket.groupPlace() != null) {
            subscriber.resumesGroupAt(ticket.groupPlace());
        }
        return true;
    }

    /**
     * Whether a browser's {@code Origin} is the bridge itself, as the request reached it: the console page it serves.
     * A page of another origin cannot claim it (browsers set {@code Origin}).
     */
    static boolean isOwnOrigin(Request request, String origin) {
        String host = request.getHeaders().get(HttpHeader.HOST);
        return host != null && origin.equalsIgnoreCase((request.isSecure() ? "https://" : "http://") + host);
    }

    private static boolean isLookupLimit(AccessDecision decision) {
        return LookupRefusedException.TOO_MANY.equals(decision.refusal())
                || LookupRefusedException.TOO_MANY_FROM_ADDRESS.equals(decision.refusal());
    }

    private static Map<String, List<String>> query(Request request) {
        Fields fields = Request.extractQueryParameters(request);
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (Fields.Field field : fields) {
            query.put(field.getName(), field.getValues());
        }
        return query;
    }

    private static EndPoint endPoint(Request request) {
        return request.getConnectionMetaData().getConnection().getEndPoint();
    }

    private Ticket refuseForNow(Request request, Response response, Callback callback, AccessDecision decision,
            String remote) {
        releaseSlot(request);
        Refusals.refuseForNow(request, response, callback, host.metrics(), decision.status(),
                decision.refusal() == null ? "other" : decision.refusal(), decision.reason(),
                Math.max(1, decision.retryAfterSeconds()), remote);
        return null;
    }

    /** Answers {@code status} with {@code reason}, the slot given back first: a client that reads it may retry. */
    Ticket refuse(Request request, Response response, Callback callback, int status, String reason, String remote) {
        releaseSlot(request);
        Refusals.refuse(request, response, callback, host.metrics(), status, reason, WWW_AUTHENTICATE, remote);
        return null;
    }
}
