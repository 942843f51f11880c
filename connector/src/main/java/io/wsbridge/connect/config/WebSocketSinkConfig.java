package io.wsbridge.connect.config;

import io.wsbridge.bridge.auth.jwt.JwtSettings;
import io.wsbridge.bridge.auth.keycloak.KeycloakIdentityProvider;
import io.wsbridge.bridge.auth.keycloak.KeycloakSettings;
import io.wsbridge.bridge.bus.Writers;
import io.wsbridge.bridge.session.OverflowPolicy;
import io.wsbridge.bridge.settings.BridgeSettings;
import io.wsbridge.bridge.settings.ClusterSettings;
import io.wsbridge.connect.convert.ApplicationResolver;
import io.wsbridge.connect.convert.EventConverter;
import io.wsbridge.connect.convert.NonCloudEventPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** The one configuration of the connector and its tasks: keys, validation, documentation, typed accessors. */
public final class WebSocketSinkConfig extends AbstractConfig {

    static final String GROUP_SERVER = "WebSocket server";
    static final String GROUP_EVENTS = "Events";
    static final String GROUP_ACCESS = "Access";
    static final String GROUP_KEYCLOAK = "Keycloak";
    static final String GROUP_CLUSTER = "Cluster";
    static final String GROUP_OPS = "Operations";
    static final String GROUP_REPLAY = "Resume and replay";

    public static final String WEBSOCKET_HOST = "websocket.host";
    public static final String WEBSOCKET_PORT = "websocket.port";
    public static final String QUEUE_SIZE = "websocket.subscriber.queue.size";
    public static final String OVERFLOW_POLICY = "websocket.subscriber.overflow.policy";
    public static final String PING_INTERVAL = "websocket.ping.interval.ms";
    public static final String PONG_TIMEOUT = "websocket.pong.timeout.ms";
    public static final String SHUTDOWN_GRACE = "websocket.shutdown.grace.ms";
    public static final String MAX_MESSAGE_BYTES = "websocket.max.message.bytes";
    public static final String MAX_CONNECTIONS = "websocket.max.connections";
    public static final String MAX_CONNECTIONS_PER_ADDRESS = "websocket.max.connections.per.address";
    public static final String HANDSHAKE_TIMEOUT = "websocket.handshake.timeout.ms";
    public static final String UNFINISHED_MESSAGE_TIMEOUT = "websocket.unfinished.message.timeout.ms";
    public static final String MAX_UNFINISHED_MESSAGE_BYTES = "websocket.max.unfinished.message.bytes";
    public static final String TOPIC_PATTERN = "application.topic.pattern";
    public static final String NON_CLOUDEVENT = "errors.non.cloudevent";
    public static final String PUBLISH_PIPELINED = "publish.pipelined";
    public static final String PUBLIC_APPLICATIONS = "auth.public.applications";
    public static final String REAUTHORIZE_INTERVAL = "auth.reauthorize.interval.ms";
    public static final String KEYCLOAK_URL = "keycloak.url";
    public static final String KEYCLOAK_REALM = "keycloak.realm";
    public static final String KEYCLOAK_CLIENT_ID = "keycloak.client.id";
    public static final String KEYCLOAK_CLIENT_SECRET = "keycloak.client.secret";
    public static final String APPLICATIONS_GROUP = "auth.applications.group";
    public static final String TOKEN_AUDIENCE = "auth.token.audience";
    public static final String CACHE_TTL = "auth.cache.ttl.ms";
    public static final String NEGATIVE_CACHE_TTL = "auth.cache.negative.ttl.ms";
    public static final String CACHE_MAX_STALE = "auth.cache.max.stale.ms";
    public static final String LOOKUPS_MAX_CONCURRENT = "auth.lookups.max.concurrent";
    public static final String LOOKUPS_PER_ADDRESS_RATE = "auth.lookups.per.address.per.second";
    public static final String LOOKUPS_PER_ADDRESS_BURST = "auth.lookups.per.address.burst";
    public static final String TOKEN_KEYS_REFRESH_INTERVAL = "auth.token.keys.refresh.interval.ms";
    public static final String ALLOWED_ORIGINS = "websocket.allowed.origins";
    public static final String CONSOLE_ENABLED = "websocket.console.enabled";
    public static final String TLS_KEYSTORE_LOCATION = "websocket.tls.keystore.location";
    public static final String TLS_KEYSTORE_TYPE = "websocket.tls.keystore.type";
    public static final String TLS_KEYSTORE_PASSWORD = "websocket.tls.keystore.password";
    public static final String TLS_KEY_PASSWORD = "websocket.tls.key.password";
    public static final String OPS_HOST = "ops.host";
    public static final String OPS_PORT = "ops.port";
    public static final String OPS_MAX_APPLICATIONS = "ops.metrics.applications.max";
    public static final String OPS_RETENTION = "ops.metrics.retention.ms";
    public static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String REPLAY_MAX_CONCURRENT = "replay.max.concurrent";
    public static final int DEFAULT_REPLAY_MAX_CONCURRENT = 16;
    public static final String GROUP_RETENTION = "websocket.group.retention.ms";
    public static final String WRITE_THREADS = "websocket.write.threads";
    public static final String CLUSTER_SECRET = "cluster.secret";
    public static final int CLUSTER_SECRET_MIN_LENGTH = 16;
    /** The REST extension that cluster mode needs on every worker. */
    public static final String REST_EXTENSION = "io.wsbridge.connect.cluster.WsBridgeRestExtension";

    public static final ConfigDef CONFIG_DEF = configDef();

    public WebSocketSinkConfig(Map<?, ?> originals) {
        super(CONFIG_DEF, originals, false);
    }

    private static ConfigDef configDef() {
        ConfigDef def = new ConfigDef();
        server(def);
        events(def);
        access(def);
        keycloak(def);
        cluster(def);
        ops(def);
        replay(def);
        return def;
    }

    private static void server(ConfigDef def) {
        int order = 0;
        def.define(WEBSOCKET_HOST, Type.STRING, BridgeSettings.DEFAULT_HOST, new ConfigDef.NonEmptyString(),
                Importance.HIGH, "Address the embedded WebSocket server binds to. The default listens on every "
                        + "interface; use 127.0.0.1 to accept local clients only.",
                GROUP_SERVER, ++order, Width.MEDIUM, "Bind address");
        def.define(WEBSOCKET_PORT, Type.INT, BridgeSettings.DEFAULT_PORT, Range.between(1, 65535), Importance.HIGH,
                "TCP port of the WebSocket server. Tasks of the connector in one worker share one server per port.",
                GROUP_SERVER, ++order, Width.SHORT, "Port");
        def.define(QUEUE_SIZE, Type.INT, BridgeSettings.DEFAULT_QUEUE_CAPACITY, Range.between(1, 1_000_000),
                Importance.MEDIUM, "Events a subscriber may have waiting to be sent. When it is full, "
                        + OVERFLOW_POLICY + " decides what happens; the task never waits for a subscriber.",
                GROUP_SERVER, ++order, Width.SHORT, "Subscriber queue size");
        def.define(OVERFLOW_POLICY, Type.STRING, OverflowPolicy.CLOSE.configValue(), Validators.overflowPolicy(),
                Importance.MEDIUM, "What happens to a subscriber whose queue is full: 'close' closes it with code "
                        + "1013 (try again later) so it can reconnect; 'drop-oldest' drops its oldest queued event, "
                        + "counts it, keeps it connected and sends it an io.wsbridge.gap notice saying how many.",
                GROUP_SERVER, ++order, Width.SHORT, "Overflow policy");
        def.define(PING_INTERVAL, Type.LONG, BridgeSettings.DEFAULT_PING_INTERVAL.toMillis(),
                Range.between(100, 3_600_000), Importance.LOW, "How often the server pings every subscriber.",
                GROUP_SERVER, ++order, Width.SHORT, "Ping interval (ms)");
        def.define(PONG_TIMEOUT, Type.LONG, BridgeSettings.DEFAULT_PONG_TIMEOUT.toMillis(),
                Range.between(200, 3_600_000), Importance.LOW, "A subscriber that has sent nothing, not even a pong, "
                        + "for this long is closed with code 1001. Must be longer than " + PING_INTERVAL + ".",
                GROUP_SERVER, ++order, Width.SHORT, "Pong timeout (ms)");
        def.define(SHUTDOWN_GRACE, Type.LONG, BridgeSettings.DEFAULT_SHUTDOWN_GRACE.toMillis(),
                Range.between(0, 3_600_000), Importance.LOW, "How long the WebSocket server outlives the last task "
                        + "that uses it, so that a task restart or a rebalance keeps subscribers connected. After "
                        + "the connector is deleted the port is freed when this has passed.",
                GROUP_SERVER, ++order, Width.SHORT, "Shutdown grace period (ms)");
        def.define(MAX_MESSAGE_BYTES, Type.INT, BridgeSettings.DEFAULT_MAX_MESSAGE_BYTES,
                Range.between(128, 16 * 1024 * 1024), Importance.LOW, "Largest message a client may send (such as "
                        + "a token refresh); a larger one closes the connection with code 1009.",
                GROUP_SERVER, ++order, Width.SHORT, "Largest client message (bytes)");
        def.define(MAX_CONNECTIONS, Type.INT, BridgeSettings.DEFAULT_MAX_CONNECTIONS, Range.between(1, 1_000_000),
                Importance.MEDIUM, "Open WebSocket connections a bridge accepts (a bridge serves the connector on one "
                        + "worker: the limit is per worker); further upgrades answer 503 with Retry-After before their "
                        + "credentials are checked. Each connection needs a file descriptor of the worker "
                        + "(ulimit -n) and about 5 KB of heap plus its queued events.",
                GROUP_SERVER, ++order, Width.SHORT, "Connections at most");
        def.define(MAX_CONNECTIONS_PER_ADDRESS, Type.INT, BridgeSettings.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
                Range.between(1, 1_000_000), Importance.MEDIUM, "Open WebSocket connections the bridge accepts from "
                        + "one client IP address; further upgrades from it answer 503 with Retry-After. Behind a "
                        + "proxy or load balancer that connects from its own address, raise it to "
                        + MAX_CONNECTIONS + ".",
                GROUP_SERVER, ++order, Width.SHORT, "Connections per client address at most");
        def.define(HANDSHAKE_TIMEOUT, Type.LONG, BridgeSettings.DEFAULT_HANDSHAKE_TIMEOUT.toMillis(),
                Range.between(100, 600_000), Importance.LOW, "How long a client has, from opening its connection "
                        + "(TLS handshake included), to send its complete request line and headers; a slower one is "
                        + "cut without an answer. The same applies to the next request on a kept-alive plain HTTP "
                        + "connection (health, metrics).",
                GROUP_SERVER, ++order, Width.SHORT, "Handshake timeout (ms)");
        def.define(UNFINISHED_MESSAGE_TIMEOUT, Type.LONG,
                BridgeSettings.DEFAULT_UNFINISHED_MESSAGE_TIMEOUT.toMillis(), Range.between(100, 3_600_000),
                Importance.LOW, "How long a client may take to send all fragments of a message; a message still "
                        + "unfinished after this long closes the connection with code 1008.",
                GROUP_SERVER, ++order, Width.SHORT, "Unfinished message timeout (ms)");
        def.define(MAX_UNFINISHED_MESSAGE_BYTES, Type.LONG, BridgeSettings.DEFAULT_MAX_UNFINISHED_MESSAGE_BYTES,
                Range.between(1024, 1L << 30), Importance.LOW, "Bytes that the unfinished messages of all clients "
                        + "(sent in fragments, the last one still to come) may hold in the bridge together; a "
                        + "fragment that would exceed it closes its connection with code 1013 (try again later).",
                GROUP_SERVER, ++order, Width.SHORT, "Unfinished messages, bytes at most");
        def.define(ALLOWED_ORIGINS, Type.LIST, "", Validators.origins(), Importance.MEDIUM,
                "Browser origins (scheme://host[:port]) allowed to connect. An upgrade with an Origin header "
                        + "outside the list answers 403; clients that send no Origin (not browsers) are not "
                        + "affected. Empty allows every origin. The bridge's own origin (its console page) is always "
                        + "allowed.",
                GROUP_SERVER, ++order, Width.LONG, "Allowed origins");
        def.define(CONSOLE_ENABLED, Type.BOOLEAN, true, Validators.oneOf(List.of("true", "false")), Importance.LOW,
                "Whether the bridge serves its console page at / on the WebSocket port: a browser page that "
                        + "subscribes to an application and shows its events live, with the same credentials and "
                        + "rules as any client.",
                GROUP_SERVER, ++order, Width.SHORT, "Console page");
        def.define(TLS_KEYSTORE_LOCATION, Type.STRING, "", Validators.optionalAbsolutePath(), Importance.MEDIUM, "Path of the key store with the "
                        + "server's certificate and private key. When set, the server speaks TLS only (wss://).",
                GROUP_SERVER, ++order, Width.LONG, "TLS key store");
        def.define(TLS_KEYSTORE_TYPE, Type.STRING, "PKCS12", Validators.oneOf(List.of("pkcs12", "jks")),
                Importance.LOW, "Type of the TLS key store.", GROUP_SERVER, ++order, Width.SHORT,
                "TLS key store type");
        def.define(TLS_KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "Password of the TLS key store. "
                        + "Use a config provider (e.g. ${file:/etc/wsbridge/secrets.properties:keystore.password}) so "
                        + "that Connect's REST API shows the reference, not the password.",
                GROUP_SERVER, ++order, Width.MEDIUM, "TLS key store password");
        def.define(TLS_KEY_PASSWORD, Type.PASSWORD, null, Importance.LOW, "Password of the private key, if it "
                        + "differs from the key store password.",
                GROUP_SERVER, ++order, Width.MEDIUM, "TLS key password");
    }

    private static void events(ConfigDef def) {
        int order = 0;
        def.define(TOPIC_PATTERN, Type.STRING, ApplicationResolver.DEFAULT_TOPIC_PATTERN, Validators.topicPattern(),
                Importance.MEDIUM, "How to find a record's application: the named group 'application' of this "
                        + "pattern, matched against the whole topic name. On a topic the pattern names an application "
                        + "in, the topic decides: a CloudEvent whose 'application' extension names another application "
                        + "is errant, so a producer that may write one application's topic cannot put events into "
                        + "another. Other topics take the application from the 'application' extension, else their "
                        + "own name.",
                GROUP_EVENTS, ++order, Width.LONG, "Application topic pattern");
        def.define(NON_CLOUDEVENT, Type.STRING, NonCloudEventPolicy.WRAP.configValue(),
                Validators.nonCloudEventPolicy(), Importance.MEDIUM, "What to do with a record that is not a "
                        + "CloudEvent (no ce_specversion header, not application/cloudevents+json): 'wrap' it into "
                        + "one (id topic/partition/offset, type " + EventConverter.WRAPPED_TYPE + "), or 'report' it "
                        + "as errant: to the dead letter queue when errors.tolerance=all and "
                        + "errors.deadletterqueue.topic.name are set, else the task fails with the record's "
                        + "topic/partition/offset. Invalid CloudEvents are always reported.",
                GROUP_EVENTS, ++order, Width.SHORT, "Records that are not CloudEvents");
        def.define(PUBLISH_PIPELINED, Type.BOOLEAN, true, Validators.oneOf(List.of("true", "false")),
                Importance.LOW, "Whether each task converts and publishes a poll's records (and makes the socket "
                        + "writes of the subscribers it feeds) on a thread of its own, while Connect's task thread "
                        + "polls the next records: a task then reads a backlog faster, for a little more CPU per "
                        + "event on the worker (the hand-over between threads). At most one poll's records are in "
                        + "flight; commits wait for them. false does all of it on Connect's task thread, one poll "
                        + "after the other.",
                GROUP_EVENTS, ++order, Width.SHORT, "Publish on a thread of the task's own");
        def.define(WRITE_THREADS, Type.INT, BridgeSettings.DEFAULT_WRITE_THREADS, Range.between(0, Writers.MAX_THREADS),
                Importance.LOW, "Threads of the worker's WebSocket server that share the socket writes of a wide "
                        + "fan-out with the publishing task: when a poll's events go to " + Writers.SPREAD_AT
                        + " or more subscribers, each subscriber's write (a system call of its own) runs on one of "
                        + "them or on the task's thread, whichever comes first, and the task goes on once all have "
                        + "started. 0 keeps every write on the task's thread. More than 1 only helps a worker with "
                        + "cores to spare and tens of thousands of subscribers. Shared by the tasks of every "
                        + "connector with the same websocket.port on a worker.",
                GROUP_EVENTS, ++order, Width.SHORT, "Write threads for a wide fan-out");
    }

    private static void access(ConfigDef def) {
        int order = 0;
        def.define(PUBLIC_APPLICATIONS, Type.LIST, "", Validators.applicationNames(), Importance.HIGH,
                "Applications that anonymous subscribers (and every authenticated one) may read, whatever Keycloak "
                        + "says. Without " + KEYCLOAK_URL + " this list is the whole access policy (development "
                        + "mode): every other application answers 404 on upgrade, and credentials are refused with "
                        + "401 because nothing can verify them.",
                GROUP_ACCESS, ++order, Width.LONG, "Public applications");
        def.define(REAUTHORIZE_INTERVAL, Type.LONG, BridgeSettings.DEFAULT_REAUTHORIZE_INTERVAL.toMillis(),
                Range.between(100, 86_400_000), Importance.LOW, "How often every open session, anonymous and "
                        + "API-key ones included, is authorized again, so that a revoked membership, key or public "
                        + "flag ends it (close code 1008), and so that a changed pinned filter does too (close code "
                        + "1012: connect again). While the identity provider is unreachable, open sessions "
                        + "stay on its cached answers, until they are older than " + CACHE_MAX_STALE + ".",
                GROUP_ACCESS, ++order, Width.SHORT, "Re-authorization interval (ms)");
    }

    private static void keycloak(ConfigDef def) {
        int order = 0;
        def.define(KEYCLOAK_URL, Type.STRING, "", Validators.optionalHttpUrl(), Importance.HIGH,
                "Base URL of the Keycloak server (without /realms/...), e.g. http://keycloak:8080. When set, "
                        + "subscribers authenticate with OIDC tokens or API keys, and an application is the Keycloak "
                        + "group " + APPLICATIONS_GROUP + "/<application>. Empty runs the development mode "
                        + "described under " + PUBLIC_APPLICATIONS + ".",
                GROUP_KEYCLOAK, ++order, Width.LONG, "Keycloak URL");
        def.define(KEYCLOAK_REALM, Type.STRING, "", Validators.optionalName(), Importance.HIGH,
                "The Keycloak realm of users and application groups; tokens must be issued by it.",
                GROUP_KEYCLOAK, ++order, Width.MEDIUM, "Realm");
        def.define(KEYCLOAK_CLIENT_ID, Type.STRING, "", Validators.optionalName(), Importance.HIGH,
                "The confidential client whose service account the bridge uses to read users, API keys and groups "
                        + "(realm-management roles view-users, query-users, query-groups).",
                GROUP_KEYCLOAK, ++order, Width.MEDIUM, "Service account client id");
        def.define(KEYCLOAK_CLIENT_SECRET, Type.PASSWORD, null, Importance.HIGH, "The secret of "
                        + KEYCLOAK_CLIENT_ID + ". Use a config provider (e.g. "
                        + "${file:/etc/wsbridge/secrets.properties:keycloak.client.secret}) so that Connect's REST "
                        + "API shows the reference, not the secret.",
                GROUP_KEYCLOAK, ++order, Width.MEDIUM, "Service account client secret");
        def.define(APPLICATIONS_GROUP, Type.STRING, "/applications", Validators.groupPath(), Importance.MEDIUM,
                "The Keycloak group whose subgroups are the applications: its members may read an application, "
                        + "and its attribute public=true lets anonymous clients read it. The attribute filter of a "
                        + "subgroup of an application restricts that subgroup's members to the events it matches.",
                GROUP_KEYCLOAK, ++order, Width.MEDIUM, "Applications group");
        def.define(TOKEN_AUDIENCE, Type.STRING, "", Validators.optionalName(), Importance.LOW,
                "If set, tokens must carry this audience (aud) or have been issued to this client (azp). Set it to "
                        + "the audience the realm's audience mapper puts into subscribers' tokens (the bridge's "
                        + "client id, as in the development realm); empty accepts a token issued to any client of "
                        + "the realm, for which validation and the bridge's start log warn.",
                GROUP_KEYCLOAK, ++order, Width.MEDIUM, "Token audience");
        def.define(CACHE_TTL, Type.LONG, 30_000L, Range.between(1_000, 3_600_000), Importance.LOW,
                "How long answers from Keycloak (API keys, memberships, public flags) are cached. Revoking a key or "
                        + "a membership takes effect for new connections within this time, and for open ones "
                        + "within this plus " + REAUTHORIZE_INTERVAL + ". While Keycloak is unreachable, cached "
                        + "answers keep serving (up to " + CACHE_MAX_STALE + ") and unknown ones are refused with "
                        + "503.",
                GROUP_KEYCLOAK, ++order, Width.SHORT, "Cache time to live (ms)");
        def.define(NEGATIVE_CACHE_TTL, Type.LONG, KeycloakSettings.DEFAULT_NEGATIVE_CACHE_TTL.toMillis(),
                Range.between(1_000, 3_600_000), Importance.LOW, "How long negative answers from Keycloak (no such "
                        + "application, user or API key; not a member) are cached, so that a client repeating a "
                        + "made-up name costs no Keycloak lookup. A new application, key or membership is seen "
                        + "within this time.",
                GROUP_KEYCLOAK, ++order, Width.SHORT, "Negative answers' time to live (ms)");
        def.define(CACHE_MAX_STALE, Type.LONG, KeycloakSettings.DEFAULT_MAX_STALE.toMillis(),
                Range.between(1_000, 86_400_000), Importance.MEDIUM, "How old (since Keycloak gave it) a cached "
                        + "answer may be and still serve while Keycloak is unreachable. After that, upgrades that "
                        + "need it are refused with 503 and Retry-After, and open sessions that need it end with "
                        + "close code 1008 at their next re-authorization, so a revoked user does not keep access "
                        + "through a long outage.",
                GROUP_KEYCLOAK, ++order, Width.SHORT, "Stale answers, age at most (ms)");
        def.define(LOOKUPS_MAX_CONCURRENT, Type.INT, KeycloakSettings.Lookups.DEFAULT.maxConcurrent(),
                Range.between(1, 1_000), Importance.LOW, "Keycloak Admin API lookups that upgrades may run at once "
                        + "(those whose answer is not cached). One more is refused at once with 503 and Retry-After, "
                        + "never queued. The bridge's own re-checks of open sessions (at most three at once) are "
                        + "not held by it; the Admin client's connection pool has room for both.",
                GROUP_KEYCLOAK, ++order, Width.SHORT, "Lookups at once");
        def.define(LOOKUPS_PER_ADDRESS_RATE, Type.DOUBLE, KeycloakSettings.Lookups.DEFAULT.perAddressPerSecond(),
                Range.between(0.01, 100_000), Importance.LOW, "Keycloak lookups per second that upgrades from one "
                        + "client IP address may cause on average (answers already cached cost none); over it an "
                        + "upgrade that needs a lookup is refused with 429 and Retry-After before Keycloak is asked. "
                        + "Behind a proxy that connects from its own address, raise it.",
                GROUP_KEYCLOAK, ++order, Width.SHORT, "Lookups per client address per second");
        def.define(LOOKUPS_PER_ADDRESS_BURST, Type.INT, KeycloakSettings.Lookups.DEFAULT.perAddressBurst(),
                Range.between(1, 100_000), Importance.LOW, "Keycloak lookups one client IP address may cause at once "
                        + "after a quiet time, before " + LOOKUPS_PER_ADDRESS_RATE + " holds it.",
                GROUP_KEYCLOAK, ++order, Width.SHORT, "Lookups per client address at once");
        def.define(TOKEN_KEYS_REFRESH_INTERVAL, Type.LONG, JwtSettings.DEFAULT_KEYS_REFRESH_INTERVAL.toMillis(),
                Range.between(1_000, 86_400_000), Importance.LOW, "How often the realm's token signing keys (its "
                        + "JSON Web Key Set) are fetched again, so that a key removed from the realm stops being "
                        + "trusted, for new connections and, at their next re-authorization, for open sessions. A "
                        + "key set that cannot be fetched is kept until it is " + JwtSettings.STALE_KEYS_FACTOR
                        + " intervals old; after that tokens are refused with 503 until Keycloak answers again. A "
                        + "token naming a key not yet known fetches the keys at once (at most every 30 s).",
                GROUP_KEYCLOAK, ++order, Width.SHORT, "Token key refresh interval (ms)");
    }

    private static void cluster(ConfigDef def) {
        def.define(CLUSTER_SECRET, Type.PASSWORD, null, Importance.MEDIUM, "Turns on cluster mode for a Connect "
                        + "cluster of several workers: the secret (at least " + CLUSTER_SECRET_MIN_LENGTH
                        + " characters) that authenticates the links between the bridges of this connector both "
                        + "ways: each side proves that it holds it, and it is never sent, only HMACs made with it. "
                        + "Cluster mode needs rest.extension.classes=" + REST_EXTENSION
                        + " in every worker's properties: the bridge then runs on every worker, and the worker that "
                        + "consumes an event forwards it to the subscribers connected to the others, so any worker "
                        + "serves the whole stream. Empty: each worker's bridge serves only what its own tasks "
                        + "consume. Use a config provider (e.g. ${file:/etc/wsbridge/secrets.properties:cluster.secret})"
                        + " so that Connect's REST API shows the reference, not the secret.",
                GROUP_CLUSTER, 1, Width.MEDIUM, "Cluster secret");
    }

    private static void replay(ConfigDef def) {
        int order = 0;
        def.define(KAFKA_BOOTSTRAP_SERVERS, Type.STRING, "", Validators.optionalBrokers(), Importance.MEDIUM, "Kafka brokers for the bridge's own "
                        + "consumers, which read history for subscribers that resume or replay (?from=) and the "
                        + "offsets each task starts from. Only used when the worker does not run the wsbridge REST "
                        + "extension (its worker's Kafka settings are used then). Further client settings go in "
                        + "kafka.* keys (kafka.security.protocol, kafka.sasl.jaas.config, kafka.ssl.truststore.location,"
                        + " ...; secrets through a config provider). Neither this nor the extension: resuming is off "
                        + "(?from= answers 501), and a cursor names a partition only from its first event on.",
                GROUP_REPLAY, ++order, Width.LONG, "Kafka brokers for replay");
        def.define(REPLAY_MAX_CONCURRENT, Type.INT, DEFAULT_REPLAY_MAX_CONCURRENT, Range.between(1, 10_000),
                Importance.LOW, "Subscribers that may catch up from Kafka at once on one worker (each with a consumer "
                        + "of its own, holding up to about 5 MB while it reads); further upgrades with ?from= answer "
                        + "503 with Retry-After. A subscriber stops counting once it has caught up with the live "
                        + "stream.",
                GROUP_REPLAY, ++order, Width.SHORT, "Concurrent replays at most");
        def.define(GROUP_RETENTION, Type.LONG, BridgeSettings.DEFAULT_GROUP_RETENTION.toMillis(),
                Range.between(0, 7L * 24 * 3_600_000), Importance.LOW, "How long a consumer group (?group_id=) whose "
                        + "last member left keeps its place in the stream: the next member to join within it first "
                        + "gets what the group missed, replayed from Kafka (it takes a replay slot), then the live "
                        + "stream. 0 keeps no place. Needs the Kafka settings of replays. In cluster mode every worker that "
                        + "consumes keeps the place for the partitions it reads, and the next member may join on "
                        + "any worker.",
                GROUP_REPLAY, ++order, Width.SHORT, "Group retention (ms)");
    }

    private static void ops(ConfigDef def) {
        int order = 0;
        def.define(OPS_PORT, Type.INT, 0, Range.between(0, 65535), Importance.HIGH,
                "TCP port of the operations listener: plain HTTP with /metrics (Prometheus text) and /healthz and "
                        + "/readyz with details (why the bridge is not ready). 0, the default, turns it off, and "
                        + "/metrics is then served nowhere. The WebSocket port answers /healthz and /readyz only as "
                        + "bare status codes, for load balancers. Give each connector (each " + WEBSOCKET_PORT
                        + ") its own " + OPS_PORT + ".",
                GROUP_OPS, ++order, Width.SHORT, "Operations port");
        def.define(OPS_HOST, Type.STRING, BridgeSettings.DEFAULT_OPS_HOST, new ConfigDef.NonEmptyString(),
                Importance.MEDIUM, "Address the operations listener binds to. Its metrics name applications and "
                        + "peers: keep it on loopback or a network only scrapers reach (e.g. 0.0.0.0 in a pod whose "
                        + "network policy admits only Prometheus). In the worker properties, wsbridge.ops.host "
                        + "overrides it for one worker.",
                GROUP_OPS, ++order, Width.MEDIUM, "Operations bind address");
        def.define(OPS_MAX_APPLICATIONS, Type.INT, BridgeSettings.DEFAULT_MAX_APPLICATION_SERIES,
                Range.between(0, 100_000), Importance.LOW, "Applications that may have metric series of their own "
                        + "(wsbridge_*{application=...}) at once. An application gets them with its first "
                        + "subscriber; events of applications without them (no subscriber, or over this bound) are "
                        + "counted in the series with an empty application label.",
                GROUP_OPS, ++order, Width.SHORT, "Applications with series");
        def.define(OPS_RETENTION, Type.LONG, BridgeSettings.DEFAULT_SERIES_RETENTION.toMillis(),
                Range.between(1_000, 86_400_000), Importance.LOW, "How long an application's series stay after its "
                        + "last subscriber left. They are removed within this plus a fifth of it (at most 20 s more).",
                GROUP_OPS, ++order, Width.SHORT, "Series retention (ms)");
    }

    /** The operations listener, or {@code null} when {@link #OPS_PORT} is 0. */
    public BridgeSettings.Ops ops() {
        int port = getInt(OPS_PORT);
        return port == 0 ? null : new BridgeSettings.Ops(getString(OPS_HOST).trim(), port);
    }

    /** The cluster secret, or {@code null} when cluster mode is off. */
    public String clusterSecret() {
        Password secret = getPassword(CLUSTER_SECRET);
        return secret == null || secret.value() == null || secret.value().isEmpty() ? null : secret.value();
    }

    /** Keycloak as the identity provider, or {@code null} in development mode. */
    public KeycloakIdentityProvider identityProvider() {
        String url = getString(KEYCLOAK_URL);
        if (url == null || url.isBlank()) {
            return null;
        }
        Password secret = getPassword(KEYCLOAK_CLIENT_SECRET);
        KeycloakSettings keycloak;
        try {
            keycloak = KeycloakSettings.of(url.trim(), getString(KEYCLOAK_REALM).trim(),
                    getString(KEYCLOAK_CLIENT_ID).trim(), secret == null ? "" : secret.value())
                    .withApplicationsGroup(getString(APPLICATIONS_GROUP).trim())
                    .withCacheTtl(Duration.ofMillis(getLong(CACHE_TTL)))
                    .withNegativeCacheTtl(Duration.ofMillis(getLong(NEGATIVE_CACHE_TTL)))
                    .withMaxStale(Duration.ofMillis(getLong(CACHE_MAX_STALE)))
                    .withLookups(new KeycloakSettings.Lookups(getInt(LOOKUPS_MAX_CONCURRENT),
                            getDouble(LOOKUPS_PER_ADDRESS_RATE), getInt(LOOKUPS_PER_ADDRESS_BURST)));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException("Incomplete Keycloak settings (" + KEYCLOAK_URL + " is set): " + e.getMessage()
                    + "; set " + KEYCLOAK_REALM + ", " + KEYCLOAK_CLIENT_ID + " and " + KEYCLOAK_CLIENT_SECRET);
        }
        String audience = getString(TOKEN_AUDIENCE);
        return new KeycloakIdentityProvider(keycloak, audience == null || audience.isBlank() ? null : audience.trim(),
                Duration.ofMillis(getLong(TOKEN_KEYS_REFRESH_INTERVAL)));
    }

    public Duration pingInterval() {
        return Duration.ofMillis(getLong(PING_INTERVAL));
    }

    public Duration pongTimeout() {
        return Duration.ofMillis(getLong(PONG_TIMEOUT));
    }

    public Duration shutdownGrace() {
        return Duration.ofMillis(getLong(SHUTDOWN_GRACE));
    }

    public OverflowPolicy overflowPolicy() {
        return OverflowPolicy.parse(getString(OVERFLOW_POLICY));
    }

    public NonCloudEventPolicy nonCloudEventPolicy() {
        return NonCloudEventPolicy.parse(getString(NON_CLOUDEVENT));
    }

    public Pattern topicPattern() {
        return Pattern.compile(getString(TOPIC_PATTERN));
    }

    public Set<String> publicApplications() {
        List<String> list = getList(PUBLIC_APPLICATIONS);
        return new HashSet<>(list);
    }

    /** The server's TLS key store, or {@code null} for plain ws://. */
    public BridgeSettings.Tls tls() {
        String location = getString(TLS_KEYSTORE_LOCATION);
        if (location == null || location.isBlank()) {
            return null;
        }
        Password password = getPassword(TLS_KEYSTORE_PASSWORD);
        Password keyPassword = getPassword(TLS_KEY_PASSWORD);
        return new BridgeSettings.Tls(Path.of(location.trim()), getString(TLS_KEYSTORE_TYPE).toUpperCase(Locale.ROOT),
                password == null ? "" : password.value(), keyPassword == null ? null : keyPassword.value());
    }

    /**
     * The settings of the bridge this connector's tasks share, as the connector configures them; in cluster mode a
     * worker's own settings (bind and advertised address) are applied on top of them.
     */
    public BridgeSettings bridgeSettings() {
        return BridgeSettings.builder(getString(WEBSOCKET_HOST), getInt(WEBSOCKET_PORT))
                .queue(getInt(QUEUE_SIZE), overflowPolicy())
                .liveness(pingInterval(), pongTimeout())
                .shutdownGrace(shutdownGrace())
                .maxMessageBytes(getInt(MAX_MESSAGE_BYTES))
                .connectionLimits(getInt(MAX_CONNECTIONS), getInt(MAX_CONNECTIONS_PER_ADDRESS))
                .handshakeTimeout(Duration.ofMillis(getLong(HANDSHAKE_TIMEOUT)))
                .unfinishedMessages(Duration.ofMillis(getLong(UNFINISHED_MESSAGE_TIMEOUT)),
                        getLong(MAX_UNFINISHED_MESSAGE_BYTES))
                .publicApplications(publicApplications())
                .allowedOrigins(new HashSet<>(getList(ALLOWED_ORIGINS)))
                .console(getBoolean(CONSOLE_ENABLED))
                .reauthorizeInterval(Duration.ofMillis(getLong(REAUTHORIZE_INTERVAL)))
                .tls(tls())
                .identity(identityProvider())
                .cluster(clusterSecret() == null ? null : ClusterSettings.of(clusterSecret(), null))
                .ops(ops())
                .applicationSeries(getInt(OPS_MAX_APPLICATIONS), Duration.ofMillis(getLong(OPS_RETENTION)))
                .groupRetention(Duration.ofMillis(getLong(GROUP_RETENTION)))
                .writeThreads(getInt(WRITE_THREADS))
                .build();
    }

    public boolean publishPipelined() {
        return getBoolean(PUBLISH_PIPELINED);
    }

    public int replayMaxConcurrent() {
        return getInt(REPLAY_MAX_CONCURRENT);
    }

    public EventConverter eventConverter() {
        return new EventConverter(new ApplicationResolver(topicPattern()), nonCloudEventPolicy());
    }

    /** Prints the configuration reference (Markdown) that the README carries. */
    public static void main(String[] args) {
        System.out.print(ConfigReference.markdown(CONFIG_DEF));
    }
}
