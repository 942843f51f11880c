package io.wsbridge.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Keycloak server ({@code keycloak-quarkus-dist}, {@code kc.sh start-dev}) on 127.0.0.1 with the development
 * realm {@code config/keycloak/wsbridge-realm.json}, for the tests of identity and access.
 *
 * <pre>{@code
 * KeycloakServer keycloak = KeycloakServer.shared();          // started once per test JVM, stopped at its end
 * String token = keycloak.passwordToken("alice", "alice-dev-password");
 * keycloak.removeUserFromGroup("alice", "/applications/acme-private");
 * keycloak.stop(); ... keycloak.start();                       // an outage, same port
 * }</pre>
 *
 * <p>Starting Keycloak is slow (a Quarkus build, then a realm import into an empty database), so both are done once
 * per machine and kept outside {@code target/} (a {@code mvn clean} does not throw them away), in
 * {@link ItEnvironment#keycloakCacheDir()}:
 * <ul>
 *   <li>{@code dist/}: a copy of the distribution Maven unpacked ({@link ItEnvironment#keycloakDistribution()}),
 *       built by its first {@code start-dev};</li>
 *   <li>{@code data-<hash>/}: the {@code data/} folder (H2 database) saved right after the realm was imported; the
 *       hash covers the realm export, so a changed export is imported afresh.</li>
 * </ul>
 * Each server then runs in its own home under {@code target/it-work} ({@code bin/} copied so that {@code kc.sh}
 * finds that home, {@code lib}, {@code conf}, {@code themes}, {@code providers} linked to the built copy, and a
 * fresh copy of the saved data), so servers of several test JVMs do not share a database, and what a test changes
 * in the realm never reaches the saved data. Logs: {@code keycloak.log} in that home.
 */
public final class KeycloakServer implements AutoCloseable {

    public static final String HOST = "127.0.0.1";
    public static final String REALM = "wsbridge";
    /** The realm's public client for the logins of subscribers (password grant). */
    public static final String USER_CLIENT = "wsbridge-client";
    /** The realm's confidential client: the bridge's service account (reads only), and the audience of tokens. */
    public static final String BRIDGE_CLIENT = "wsbridge-bridge";
    public static final String BRIDGE_CLIENT_SECRET = "wsbridge-dev-secret-change-me";
    /** The realm's confidential client of the {@code wsbridge keys} command ({@code manage-users}). */
    public static final String CLI_CLIENT = "wsbridge-cli";
    public static final String CLI_CLIENT_SECRET = "wsbridge-cli-dev-secret-change-me";
    public static final String ADMIN_USERNAME = "admin";
    public static final String ADMIN_PASSWORD = "admin-it-password";

    private static final Logger LOG = LoggerFactory.getLogger(KeycloakServer.class);
    private static final String REALM_FILE = "keycloak/wsbridge-realm.json";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(240);
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<String> LINKED = List.of("lib", "conf", "themes", "providers", "version.txt");

    private static CompletableFuture<KeycloakServer> shared;

    private final int port;
    private final Path home;
    private ManagedProcess process;
    private long lastStartMillis;

    /** A server on a free port of 127.0.0.1, not started yet. */
    public KeycloakServer() {
        this(FreePorts.on(HOST));
    }

    /** A server on {@code port} of 127.0.0.1 (the demo's fixed port), not started yet. */
    public KeycloakServer(int port) {
        this.port = port;
        this.home = ItEnvironment.newWorkDir("keycloak");
    }

    /**
     * The server of this JVM, started on first use and stopped when the JVM exits (by a shutdown hook, and by
     * {@link ManagedProcess}'s guard if the JVM is killed). A failed start fails every later call at once.
     */
    public static KeycloakServer shared() {
        try {
            return startShared().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw new IllegalStateException("the shared Keycloak did not start: " + failure.getMessage(), failure);
            }
            throw e;
        }
    }

    /**
     * Starts the {@link #shared()} server in the background, if it was not yet: Keycloak takes half a minute, which
     * can overlap the start of the broker and the worker.
     */
    public static synchronized CompletableFuture<KeycloakServer> startShared() {
        if (shared == null) {
            shared = new CompletableFuture<>();
            CompletableFuture<KeycloakServer> result = shared;
            Thread starter = new Thread(() -> {
                KeycloakServer server = new KeycloakServer();
                try {
                    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "keycloak-shared-stop"));
                    server.start();
                    result.complete(server);
                } catch (RuntimeException | Error e) {
                    server.close();
                    result.completeExceptionally(e);
                }
            }, "keycloak-shared-start");
            starter.setDaemon(true);
            starter.start();
        }
        return shared;
    }

    /**
     * Starts Keycloak (building the distribution and importing the realm first if this machine has not yet) and
     * waits until the realm answers. After {@link #stop()}, starts it again on the same port with the data it had.
     */
    public synchronized KeycloakServer start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running: " + process);
        }
        if (!Files.isDirectory(home.resolve("data"))) {
            Path saved = prepareCache();
            copyTree(saved, home.resolve("data"));
            linkHome(home, cacheDist());
        }
        process = launch(home, port, false, home.resolve("keycloak.log"));
        lastStartMillis = awaitRealm(process, port);
        LOG.info("Keycloak {} ready at {} in {} ms (home {})", version(), url(), lastStartMillis, home);
        return this;
    }

    /** An outage: SIGTERM, and waits until the process is gone. */
    public synchronized void stop() {
        if (process != null) {
            process.stop(STOP_GRACE);
        }
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() {
        stop();
    }

    /** The base URL the bridge is given as {@code keycloak.url}: {@code http://127.0.0.1:<port>}. */
    public String url() {
        return "http://" + HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    /** The issuer of the realm's tokens. */
    public String issuer() {
        return issuer(REALM);
    }

    public String issuer(String realm) {
        return url() + "/realms/" + realm;
    }

    /** How long the last {@link #start()} took until the realm answered. */
    public long lastStartMillis() {
        return lastStartMillis;
    }

    public Path logFile() {
        return home.resolve("keycloak.log");
    }

    public static String version() {
        return ItEnvironment.keycloakVersion();
    }

    // ---- tokens

    /** An access token of {@code username} from the realm's public client, with the password grant. */
    public String passwordToken(String username, String password) {
        return passwordTokens(REALM, USER_CLIENT, username, password).path("access_token").asText();
    }

    /**
     * The token endpoint's whole answer ({@code access_token}, {@code expires_in}, {@code refresh_token}, ...) for a
     * password grant in any realm: {@code ("master", "admin-cli", ADMIN_USERNAME, ADMIN_PASSWORD)} gives a real token
     * of another issuer.
     */
    public JsonNode passwordTokens(String realm, String clientId, String username, String password) {
        String form = form(Map.of("grant_type", "password", "client_id", clientId, "username", username,
                "password", password));
        HttpRequest request = HttpRequest.newBuilder(URI.create(issuer(realm) + "/protocol/openid-connect/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<String> response = send(request);
        if (response.statusCode() != 200) {
            // the body names the error (invalid_grant, ...), never the password
            throw new IllegalStateException("password grant of '" + username + "' in realm '" + realm + "' answered "
                    + response.statusCode() + ": " + response.body());
        }
        return parse(response.body());
    }

    /**
     * The token endpoint's whole answer to a refresh token grant of the realm's public client: a new access token
     * (with the realm's current lifespan) of the session that {@code refreshToken} belongs to.
     */
    public JsonNode refreshTokens(String refreshToken) {
        String form = form(Map.of("grant_type", "refresh_token", "client_id", USER_CLIENT, "refresh_token",
                refreshToken));
        HttpRequest request = HttpRequest.newBuilder(URI.create(issuer() + "/protocol/openid-connect/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<String> response = send(request);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("refresh token grant answered " + response.statusCode() + ": "
                    + response.body());
        }
        return parse(response.body());
    }

    /** An access token of a confidential client's service account (client credentials grant). */
    public String serviceAccountToken(String clientId, String clientSecret) {
        String form = form(Map.of("grant_type", "client_credentials", "client_id", clientId,
                "client_secret", clientSecret));
        HttpRequest request = HttpRequest.newBuilder(URI.create(issuer() + "/protocol/openid-connect/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<String> response = send(request);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("client credentials grant of '" + clientId + "' answered "
                    + response.statusCode() + ": " + response.body());
        }
        return parse(response.body()).path("access_token").asText();
    }

    /**
     * One HTTP call to this server with {@code token} (not the administrator's): its status and body, whatever the
     * status.
     */
    public HttpResponse<String> callWith(String token, String method, String path, JsonNode body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        }
        return send(request.build());
    }

    /**
     * An access token of {@code username} that lives only {@code lifespan}: the realm's access token lifespan is
     * lowered through the Admin API for this one token, then set back.
     */
    public String shortLivedToken(String username, String password, Duration lifespan) {
        JsonNode realm = admin("GET", "/admin/realms/" + REALM, null);
        int previous = realm.path("accessTokenLifespan").asInt();
        setRealmAttribute("accessTokenLifespan", (int) lifespan.toSeconds());
        try {
            return passwordToken(username, password);
        } finally {
            setRealmAttribute("accessTokenLifespan", previous);
        }
    }

    // ---- Admin REST API, as the bootstrap administrator

    /** The id of the realm's user {@code username}. */
    public String userId(String username) {
        JsonNode users = admin("GET", "/admin/realms/" + REALM + "/users?exact=true&username="
                + URLEncoder.encode(username, StandardCharsets.UTF_8), null);
        for (JsonNode user : users) {
            if (user.path("username").asText().equalsIgnoreCase(username)) {
                return user.path("id").asText();
            }
        }
        throw new IllegalStateException("no user '" + username + "' in realm " + REALM);
    }

    /** The id of the group at {@code path}, e.g. {@code /applications/acme-private}. */
    public String groupId(String path) {
        return admin("GET", "/admin/realms/" + REALM + "/group-by-path" + path, null).path("id").asText();
    }

    public void addUserToGroup(String username, String groupPath) {
        admin("PUT", "/admin/realms/" + REALM + "/users/" + userId(username) + "/groups/" + groupId(groupPath), null);
    }

    public void removeUserFromGroup(String username, String groupPath) {
        admin("DELETE", "/admin/realms/" + REALM + "/users/" + userId(username) + "/groups/" + groupId(groupPath), null);
    }

    /**
     * Creates a user of the realm who can log in with {@code password} (email, first and last name set, as Keycloak
     * wants them); returns the id.
     */
    public String createUser(String username, String password) {
        ObjectNode user = JSON.createObjectNode().put("username", username).put("enabled", true)
                .put("email", username + "@example.com").put("emailVerified", true)
                .put("firstName", "Load").put("lastName", "Test");
        user.putArray("credentials").addObject().put("type", "password").put("value", password)
                .put("temporary", false);
        admin("POST", "/admin/realms/" + REALM + "/users", user);
        return userId(username);
    }

    public void deleteUser(String username) {
        admin("DELETE", "/admin/realms/" + REALM + "/users/" + userId(username), null);
    }

    /** Creates the group {@code name} under the group at {@code parentPath}; returns its path. */
    public String createGroup(String parentPath, String name) {
        admin("POST", "/admin/realms/" + REALM + "/groups/" + groupId(parentPath) + "/children",
                JSON.createObjectNode().put("name", name));
        return parentPath + "/" + name;
    }

    public void deleteGroup(String path) {
        admin("DELETE", "/admin/realms/" + REALM + "/groups/" + groupId(path), null);
    }

    /** Sets (or, with no values, removes) one attribute of the group at {@code groupPath}. */
    public void setGroupAttribute(String groupPath, String name, String... values) {
        String path = "/admin/realms/" + REALM + "/groups/" + groupId(groupPath);
        ObjectNode group = (ObjectNode) admin("GET", path, null);
        ObjectNode attributes = group.has("attributes") && group.get("attributes").isObject()
                ? (ObjectNode) group.get("attributes") : group.putObject("attributes");
        if (values.length == 0) {
            attributes.remove(name);
        } else {
            attributes.set(name, JSON.valueToTree(List.of(values)));
        }
        admin("PUT", path, group);
    }

    /** Sets one top-level attribute of the realm, e.g. {@code accessTokenLifespan} (a partial update). */
    public void setRealmAttribute(String name, Object value) {
        ObjectNode update = JSON.createObjectNode();
        update.set(name, JSON.valueToTree(value));
        admin("PUT", "/admin/realms/" + REALM, update);
    }

    /**
     * One Admin REST API call with a fresh token of the bootstrap administrator (master realm, {@code admin-cli});
     * the answer's JSON, or an empty object for none. A status of 300 and up fails.
     */
    public JsonNode admin(String method, String path, JsonNode body) {
        String token = passwordTokens("master", "admin-cli", ADMIN_USERNAME, ADMIN_PASSWORD).path("access_token").asText();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        }
        HttpResponse<String> response = send(request.build());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return response.body().isBlank() ? JSON.createObjectNode() : parse(response.body());
    }

    @Override
    public String toString() {
        return "KeycloakServer[" + url() + ", " + home + "]";
    }

    // ---- the cache: a built distribution and the data folder of a freshly imported realm

    private static Path cacheDist() {
        return ItEnvironment.keycloakCacheDir().resolve("dist");
    }

    /**
     * Makes sure the cache holds a built distribution and the saved data of the current realm export; returns the
     * saved data folder. Holds a file lock meanwhile, so that test JVMs running at once prepare it once.
     */
    private static Path prepareCache() {
        Path cache = ItEnvironment.keycloakCacheDir();
        try {
            Files.createDirectories(cache);
            try (FileChannel lockFile = FileChannel.open(cache.resolve("lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                lockFile.lock(); // released when the channel closes
                Path dist = cacheDist();
                if (!Files.exists(dist.resolve(".wsbridge-copied"))) {
                    Path source = ItEnvironment.keycloakDistribution();
                    LOG.info("copying the Keycloak distribution {} to {}", source, dist);
                    deleteTree(dist);
                    copyTree(source, dist);
                    Files.writeString(dist.resolve(".wsbridge-copied"), source.toString());
                }
                Path realm = realmExport();
                Path saved = cache.resolve("data-" + hash(realm));
                if (!Files.exists(saved.resolve(".wsbridge-complete"))) {
                    seed(realm, saved);
                }
                return saved;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the Keycloak cache in " + cache, e);
        }
    }

    /**
     * The first start of the realm export: builds the distribution if it was not yet, imports the realm into an
     * empty database, stops, and saves the data folder. Older saved data (of another export) is deleted.
     */
    private static void seed(Path realm, Path saved) throws IOException {
        Path seedHome = ItEnvironment.newWorkDir("keycloak-seed");
        linkHome(seedHome, cacheDist());
        Path imports = Files.createDirectories(seedHome.resolve("data/import"));
        Files.copy(realm, imports.resolve(realm.getFileName()));
        int seedPort = FreePorts.on(HOST);
        LOG.info("importing {} into a new Keycloak database (first start: builds the server too), log {}", realm,
                seedHome.resolve("keycloak.log"));
        ManagedProcess seeding = launch(seedHome, seedPort, true, seedHome.resolve("keycloak.log"));
        try {
            long millis = awaitRealm(seeding, seedPort);
            LOG.info("Keycloak imported the realm into an empty database in {} ms", millis);
        } finally {
            seeding.stop(STOP_GRACE);
        }
        try (Stream<Path> old = Files.list(saved.getParent())) {
            for (Path other : old.filter(p -> p.getFileName().toString().startsWith("data-")).toList()) {
                deleteTree(other);
            }
        }
        Path data = seedHome.resolve("data");
        deleteTree(data.resolve("import"));
        deleteTree(data.resolve("tmp"));
        copyTree(data, saved);
        Files.writeString(saved.resolve(".wsbridge-complete"), realm.toString());
    }

    private static ManagedProcess launch(Path home, int port, boolean importRealm, Path log) {
        List<String> command = new ArrayList<>(List.of(
                home.resolve("bin/kc.sh").toString(), "start-dev",
                "--http-host=" + HOST, "--http-port=" + port, "--hostname=http://" + HOST + ":" + port));
        if (importRealm) {
            command.add("--import-realm");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USERNAME);
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
        env.put("JAVA_OPTS_APPEND", System.getProperty("it.keycloak.jvm.options", "-XX:TieredStopAtLevel=1"));
        return ManagedProcess.start("keycloak-" + port, command, env, home, log);
    }

    /** Waits until the realm's OpenID configuration answers; returns how long that took. */
    private static long awaitRealm(ManagedProcess process, int port) {
        long started = System.nanoTime();
        URI wellKnown = URI.create("http://" + HOST + ":" + port + "/realms/" + REALM + "/.well-known/openid-configuration");
        process.awaitReady("Keycloak realm " + REALM + " at " + wellKnown, START_TIMEOUT, () -> {
            HttpRequest request = HttpRequest.newBuilder(wellKnown).timeout(Duration.ofSeconds(5)).GET().build();
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        });
        return (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * A home for one server: {@code bin/} copied (kc.sh takes its home from its own real path), the rest linked to
     * the built distribution, {@code data/} its own.
     */
    private static void linkHome(Path home, Path dist) {
        try {
            copyTree(dist.resolve("bin"), home.resolve("bin"));
            for (String name : LINKED) {
                if (Files.exists(dist.resolve(name)) && !Files.exists(home.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(home.resolve(name), dist.resolve(name));
                }
            }
            Files.createDirectories(home.resolve("data"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lay out a Keycloak home in " + home, e);
        }
    }

    private static Path realmExport() {
        return ItEnvironment.configFile(REALM_FILE).orElseThrow(() -> new IllegalStateException(
                "no " + REALM_FILE + " in " + ItEnvironment.configDir()));
    }

    /** The realm export and the Keycloak version: what the saved data depends on. */
    private static String hash(Path realm) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(version().getBytes(StandardCharsets.UTF_8));
            sha.update(Files.readAllBytes(realm));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copyTree(Path source, Path target) {
        try {
            Files.walkFileTree(source, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Files.createDirectories(target.resolve(source.relativize(dir).toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.copy(file, target.resolve(source.relativize(file).toString()),
                            StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + source + " to " + target, e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }
}
