package io.wsbridge.bridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BridgeMetricsTest {

    static final Duration RETENTION = Duration.ofSeconds(60);
    static final long SECOND = Duration.ofSeconds(1).toNanos();

    /** Routing whose served applications a test sets. */
    static final class Served implements BridgeMetrics.Routing {
        final Set<String> applications = new HashSet<>();

        @Override
        public int subscribers(String application) {
            return applications.contains(application) ? 1 : 0;
        }

        @Override
        public int groups(String application) {
            return 0;
        }

        @Override
        public int peerSubscriptions(String application) {
            return 0;
        }

        @Override
        public boolean clustered() {
            return false;
        }

        @Override
        public boolean serves(String application) {
            return applications.contains(application);
        }
    }

    final Served served = new Served();

    BridgeMetrics metrics(int max) {
        return new BridgeMetrics(() -> 0, () -> 0, () -> 0, served, max, RETENTION);
    }

    static String series(BridgeMetrics metrics, String name) {
        return metrics.scrape().lines().filter(line -> line.startsWith(name + "{")).sorted()
                .reduce((a, b) -> a + "\n" + b).orElse("");
    }

    @Test
    void eventsOfAnApplicationWithoutSubscribersCountInTheSeriesWithoutApplication() {
        BridgeMetrics metrics = metrics(10);
        for (int i = 0; i < 1_000; i++) {
            metrics.eventsIn("new-topic-" + i).increment();
        }
        assertThat(metrics.applicationsWithSeries()).isEmpty();
        assertThat(series(metrics, "wsbridge_events_in_total")).isEqualTo("wsbridge_events_in_total{application=\"\"} 1000.0");
    }

    @Test
    void atMostMaxApplicationsGetSeriesAndTheOthersShareTheSeriesWithoutApplication() {
        BridgeMetrics metrics = metrics(2);
        assertThat(metrics.application("a").application()).isEqualTo("a");
        assertThat(metrics.application("b").application()).isEqualTo("b");
        BridgeMetrics.ApplicationMeters third = metrics.application("c");
        assertThat(third.application()).isEqualTo(BridgeMetrics.OTHER_APPLICATIONS);
        third.eventsOut().increment();
        metrics.eventsIn("c").increment();
        metrics.eventsIn("a").increment();

        assertThat(metrics.applicationsWithSeries()).containsExactlyInAnyOrder("a", "b");
        assertThat(series(metrics, "wsbridge_events_in_total")).isEqualTo("""
                wsbridge_events_in_total{application=""} 1.0
                wsbridge_events_in_total{application="a"} 1.0
                wsbridge_events_in_total{application="b"} 0.0""");
        assertThat(series(metrics, "wsbridge_subscribers")).as("no subscriber gauge for the others").isEqualTo("""
                wsbridge_subscribers{application="a"} 0.0
                wsbridge_subscribers{application="b"} 0.0""");
        assertThat(metrics.gauge("wsbridge.application.series")).isEqualTo(2);
    }

    @Test
    void seriesOfAnApplicationAreRemovedRetentionAfterItsLastSubscriberLeft() {
        BridgeMetrics metrics = metrics(10);
        served.applications.add("app");
        metrics.application("app").eventsOut().increment(3);
        long now = 0;
        metrics.sweep(now);
        metrics.sweep(now += 120 * SECOND);
        assertThat(metrics.applicationsWithSeries()).as("kept while it has a subscriber").containsExactly("app");

        served.applications.remove("app");
        metrics.sweep(now += SECOND);
        metrics.sweep(now += RETENTION.toNanos() - SECOND);
        assertThat(metrics.applicationsWithSeries()).as("idle for less than the retention").containsExactly("app");
        metrics.sweep(now += SECOND);
        assertThat(metrics.applicationsWithSeries()).isEmpty();
        assertThat(metrics.scrape()).doesNotContain("application=\"app\"");
        assertThat(metrics.total("wsbridge.events.out")).as("totals never go down").isEqualTo(3);
    }

    @Test
    void anApplicationThatGetsASubscriberAgainKeepsItsSeries() {
        BridgeMetrics metrics = metrics(10);
        metrics.application("app");
        long now = 0;
        metrics.sweep(now);
        metrics.sweep(now += RETENTION.toNanos() / 2);
        served.applications.add("app");
        metrics.sweep(now += RETENTION.toNanos() / 2);
        served.applications.remove("app");
        metrics.sweep(now += RETENTION.toNanos() / 2);
        assertThat(metrics.applicationsWithSeries()).containsExactly("app");
    }

    @Test
    void aSubscriberAfterTheSeriesWereRemovedGetsNewOnesAndRemovalFreesRoomUnderTheCap() {
        BridgeMetrics metrics = metrics(1);
        BridgeMetrics.ApplicationMeters old = metrics.application("a");
        metrics.sweep(0);
        metrics.sweep(RETENTION.toNanos());
        assertThat(metrics.applicationsWithSeries()).isEmpty();

        assertThat(metrics.application("b").application()).isEqualTo("b");
        assertThat(metrics.application("a").application()).as("the cap is full").isEqualTo("");
        BridgeMetrics.ApplicationMeters again = metrics.application("b");
        assertThat(again).isNotSameAs(old);
    }

    @Test
    void theSweepRunsAtATenthOfTheRetentionBetween100MillisecondsAnd10Seconds() {
        BridgeMetrics metrics = metrics(1);
        assertThat(metrics.sweepInterval()).isEqualTo(Duration.ofSeconds(6));
        metrics.applicationSeries(1, Duration.ofMinutes(30));
        assertThat(metrics.sweepInterval()).isEqualTo(Duration.ofSeconds(10));
        metrics.applicationSeries(1, Duration.ofMillis(500));
        assertThat(metrics.sweepInterval()).isEqualTo(Duration.ofMillis(100));
    }
}
