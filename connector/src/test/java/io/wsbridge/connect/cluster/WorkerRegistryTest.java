package io.wsbridge.connect.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerRegistryTest {

    static final WorkerSettings WORKER = new WorkerSettings(null, null, "10.0.0.2", "10.0.0.2:8083");

    @AfterEach
    void reset() {
        WorkerRegistry.clear();
        Thread.interrupted();
    }

    @Test
    void installedSettingsAreReturnedAtOnce() {
        WorkerRegistry.install(WORKER);

        assertThat(WorkerRegistry.current()).hasValue(WORKER);
        assertThat(WorkerRegistry.await(Duration.ZERO)).hasValue(WORKER);
    }

    @Test
    void awaitingGivesNothingWhenNoSettingsAreInstalledInTime() {
        assertThat(WorkerRegistry.await(Duration.ofMillis(20))).isEmpty();
        assertThat(WorkerRegistry.current()).isEmpty();
    }

    @Test
    void aWaiterIsWokenByTheInstall() {
        CompletableFuture<Optional<WorkerSettings>> awaited =
                CompletableFuture.supplyAsync(() -> WorkerRegistry.await(Duration.ofMinutes(1)));
        await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> !awaited.isDone());

        WorkerRegistry.install(WORKER);

        await().atMost(Duration.ofSeconds(5)).until(awaited::isDone);
        assertThat(awaited.join()).hasValue(WORKER);
    }

    @Test
    void anInterruptedWaitReturnsAtOnceAndKeepsTheInterruptFlag() {
        Thread.currentThread().interrupt();

        assertThat(WorkerRegistry.await(Duration.ofMinutes(1))).isEmpty();
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
    }

    @Test
    void clearingForgetsTheSettings() {
        WorkerRegistry.install(WORKER);

        WorkerRegistry.clear();

        assertThat(WorkerRegistry.current()).isEmpty();
    }
}
