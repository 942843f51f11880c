package io.wsbridge.it;

import static io.wsbridge.it.ItSupport.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.KafkaBroker;
import io.wsbridge.it.harness.SinkConnector;
import io.wsbridge.it.harness.Stack;
import io.wsbridge.it.harness.StackExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;

/**
 * The console page in real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, driven by
 * Selenium), served by the connector of a running stack: it subscribes, shows the events produced here (their ids in
 * the table), draws the chart, shows a refusal, and reconnects by itself after the bridge dropped it.
 */
@ExtendWith(StackExtension.class)
class ConsoleIT {

    private static final String APP = "console-it";
    private static final String TOPIC = "events-" + APP;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private static SinkConnector sink;
    private ChromeDriver browser;

    @BeforeAll
    static void startConnector(Stack stack) {
        SinkConnector.createTopicIfAbsent(stack.kafka(), TOPIC, 1);
        // An allow-list without the bridge itself: the console's own origin is allowed all the same. No grace period:
        // a restart of the connector stops the bridge, and so drops the page's connection.
        sink = SinkConnector.shipped(stack, "console-it", Map.of("topics.regex", TOPIC,
                "auth.public.applications", APP, "websocket.allowed.origins", "https://dashboard.example",
                "websocket.shutdown.grace.ms", "0", "kafka.bootstrap.servers", stack.kafka().bootstrapServers()));
        sink.create().awaitRunning();
        sink.awaitFlowing(APP, TOPIC, 1);
    }

    @AfterAll
    static void deleteConnector() {
        if (sink != null) {
            sink.close();
        }
    }

    @BeforeEach
    void startBrowser() {
        assertThat(CHROMIUM).as("Debian's chromium (./test.sh installs it)").isExecutable();
        assertThat(CHROMEDRIVER).as("Debian's chromium-driver (./test.sh installs it)").isExecutable();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--no-first-run", "--disable-extensions");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void thePageSubscribesShowsTheEventsAndChartsThemAndTakesAScreenshot(Stack stack) throws IOException {
        browser.get(console("/?application=" + APP));
        awaitState("live");
        sink.awaitSubscribers(APP, 1);

        List<Events.CloudEvent> events = new ArrayList<>();
        OffsetDateTime start = OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(1);
        for (int i = 0; i < 12; i++) {
            Events.CloudEvent event = Events.event(APP, "device-" + (i % 3))
                    .withData("{\"temp\":" + (20 + i) + ",\"humidity\":" + (40 + i % 5) + ",\"label\":\"x\"}");
            // five seconds apart, as readings would be: the chart's time axis spreads them
            events.add(new Events.CloudEvent(event.id(), event.source(), event.type(), event.subject(),
                    start.plusSeconds(5L * i).toString(), event.application(), event.device(), event.extensions(),
                    event.dataContentType(), event.data()));
        }
        sendAll(stack.events(), events.stream().map(event -> Events.binaryRecord(TOPIC, event)).toList());

        await("every event's id in the table").atMost(WAIT)
                .until(() -> rowIds().containsAll(events.stream().map(Events.CloudEvent::id).toList()));
        assertThat(rowIds()).as("newest first").first().isEqualTo(events.get(events.size() - 1).id());
        List<WebElement> firstRow = browser.findElements(By.cssSelector("#events tbody tr:first-child td"));
        assertThat(firstRow.get(1).getText()).isEqualTo("device-2");
        assertThat(firstRow.get(4).getText()).isEqualTo("{\"temp\":31,\"humidity\":41,\"label\":\"x\"}");

        assertThat(browser.findElements(By.cssSelector("#charts figure")).stream()
                .map(figure -> figure.getAttribute("data-field")).toList())
                .as("a chart per numeric field of data, none for the string").containsExactly("temp", "humidity");
        Object drawn = ((JavascriptExecutor) browser).executeScript(
                "const canvas = document.querySelector('#charts figure[data-field=temp] canvas');"
                        + "const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;"
                        + "let painted = 0; for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }"
                        + "return painted;");
        assertThat(((Number) drawn).longValue()).as("pixels the chart painted").isGreaterThan(100);
        assertThat(browser.findElements(By.cssSelector("#charts figure[data-field=temp] .u-legend .u-series"))
                .stream().map(WebElement::getText).filter(text -> text.contains("device-")).count())
                .as("a series per device").isEqualTo(3);

        Path screenshot = Path.of("target", "console.png");
        Files.createDirectories(screenshot.getParent());
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), screenshot,
                StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void theRefusalOfAPrivateApplicationWithAWrongKeyIsShown() {
        browser.get(console("/"));
        browser.findElement(By.id("application")).sendKeys("acme-private");
        new Select(browser.findElement(By.id("credentials"))).selectByValue("apikey");
        browser.findElement(By.id("username")).sendKeys("alice");
        browser.findElement(By.id("apikey")).sendKeys("wsb_wrong_key_0000000000");
        browser.findElement(By.id("connect")).click();

        awaitState("refused");
        assertThat(browser.findElement(By.id("status")).getText())
                .startsWith("Refused: the bridge did not open the stream of acme-private");
        await("the exact refusal shown").atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(browser.findElement(By.id("status")).getText())
                        .startsWith("Refused: the bridge did not open the stream of acme-private: 401 "));
        assertThat(rowIds()).isEmpty();
        assertThat(sink.metric("wsbridge_upgrades_refused_total", "status", "401")).isPositive();
    }

    @Test
    void afterTheBridgeDropsTheConnectionThePageResumesWithoutAMissingRow(Stack stack) {
        browser.get(console("/?application=" + APP));
        awaitState("live");
        sink.awaitSubscribers(APP, 1);
        Events.CloudEvent before = Events.event(APP, "device-1");
        stack.events().sendBinary(TOPIC, before);
        await().atMost(WAIT).until(() -> rowIds().contains(before.id()));

        stack.rest().restartConnectorAndTasks(sink.name());
        awaitState("reconnecting");
        // produced while the page is away: it must get them all the same, from Kafka, after the last row it had
        List<Events.CloudEvent> during = IntStream.range(0, 3).mapToObj(i -> Events.event(APP, "device-" + i)).toList();
        sendAll(stack.events(), during.stream().map(event -> Events.binaryRecord(TOPIC, event)).toList());
        awaitState("live");
        sink.awaitSubscribers(APP, 1);
        List<Events.CloudEvent> after = IntStream.range(0, 3).mapToObj(i -> Events.event(APP, "device-" + i)).toList();
        sendAll(stack.events(), after.stream().map(event -> Events.binaryRecord(TOPIC, event)).toList());

        List<String> expected = new ArrayList<>();
        expected.add(before.id());
        during.forEach(event -> expected.add(event.id()));
        after.forEach(event -> expected.add(event.id()));
        await("every event, those produced while the page was away included").atMost(WAIT)
                .until(() -> rowIds().containsAll(expected));
        List<String> rows = new ArrayList<>(rowIds());
        Collections.reverse(rows);
        assertThat(rows).as("oldest first: each event once, in order").containsExactlyElementsOf(expected);
        assertThat(browser.findElement(By.id("status")).getText()).doesNotContain("may be missing");
    }

    @Test
    void thePageAndItsFilesComeFromTheBridgeWithAStrictContentSecurityPolicy() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(console("/"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                .contains("default-src 'none'", "script-src 'self'", "connect-src 'self'"));
        assertThat(page.body()).contains("<script src=\"/_wsbridge/console/uPlot.iife.min.js\"></script>")
                .doesNotContain("https://", "http://");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(console("/_wsbridge/console/features.json"))).build(),
                HttpResponse.BodyHandlers.ofString()).body()).as("a Kafka connection: the page resumes after a drop")
                .isEqualTo("{\"resume\":true}");
        for (String file : List.of("console.js", "console.css", "uPlot.iife.min.js", "uPlot.min.css")) {
            assertThat(http.send(HttpRequest.newBuilder(URI.create(console("/_wsbridge/console/" + file))).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).as(file).isEqualTo(200);
        }
        assertThat(http.send(HttpRequest.newBuilder(URI.create(console("/_wsbridge/console/other.js"))).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).as("not a file of the console").isEqualTo(426);
    }

    private String console(String pathAndQuery) {
        return "http://" + KafkaBroker.HOST + ":" + sink.port() + pathAndQuery;
    }

    private void awaitState(String state) {
        await("the console's status " + state).atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> state.equals(browser.findElement(By.id("status")).getAttribute("data-state")));
    }

    private List<String> rowIds() {
        return browser.findElements(By.cssSelector("#events tbody tr")).stream()
                .map(row -> row.getAttribute("data-id")).toList();
    }
}
