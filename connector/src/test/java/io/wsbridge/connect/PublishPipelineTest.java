package io.wsbridge.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class PublishPipelineTest {

    static List<SinkRecord> batch(int from, int count) {
        List<SinkRecord> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            records.add(new SinkRecord("t", 0, null, null, null, new byte[] {(byte) i}, i));
        }
        return records;
    }

    @Test
    void publishesEveryBatchInOrderOnItsOwnThread() {
        List<Long> offsets = new ArrayList<>();
        List<String> threads = new ArrayList<>();
        try (PublishPipeline pipeline = new PublishPipeline("publisher-under-test", records -> {
            threads.add(Thread.currentThread().getName());
            records.forEach(r -> offsets.add(r.kafkaOffset()));
        })) {
            for (int b = 0; b < 100; b++) {
                pipeline.submit(batch(b * 10, 10));
            }
            pipeline.drain();
            // drain() returns after the last batch was published, and what the publisher wrote is visible here.
            assertThat(offsets).hasSize(1000);
            for (int i = 0; i < 1000; i++) {
                assertThat(offsets.get(i)).isEqualTo(i);
            }
            assertThat(threads).containsOnly("publisher-under-test");
        }
    }

    @Test
    void submitWaitsForTheBatchInFlightAndReturnsBeforeTheNextIsPublished() throws Exception {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<Long> published = new ArrayList<>();
        try (PublishPipeline pipeline = new PublishPipeline("p", records -> {
            if (records.iterator().next().kafkaOffset() == 0) {
                firstStarted.countDown();
                await(releaseFirst);
            }
            synchronized (published) {
                records.forEach(r -> published.add(r.kafkaOffset()));
            }
        })) {
            pipeline.submit(batch(0, 1));
            assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> pipeline.submit(batch(1, 1)));
            assertThatThrownBy(() -> second.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            releaseFirst.countDown();
            second.get(10, TimeUnit.SECONDS);
            pipeline.drain();
            synchronized (published) {
                assertThat(published).containsExactly(0L, 1L);
            }
        }
    }

    @Test
    void aFailedBatchFailsEveryLaterCallAndNothingAfterItIsPublished() {
        List<Long> published = new ArrayList<>();
        DataException bad = new DataException("record 5 is not an event");
        PublishPipeline pipeline = new PublishPipeline("p", records -> {
            for (SinkRecord r : records) {
                if (r.kafkaOffset() == 5) {
                    throw bad;
                }
                published.add(r.kafkaOffset());
            }
        });
        try {
            pipeline.submit(batch(0, 10));
            assertThatThrownBy(pipeline::drain).isSameAs(bad);
            assertThatThrownBy(() -> pipeline.submit(batch(10, 10))).isSameAs(bad);
            assertThatThrownBy(pipeline::drain).isSameAs(bad);
            assertThat(published).containsExactly(0L, 1L, 2L, 3L, 4L);
        } finally {
            pipeline.close();
        }
    }

    @Test
    void closePublishesWhatIsInFlightThenRefusesMore() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Long> published = new ArrayList<>();
        PublishPipeline pipeline = new PublishPipeline("p", records -> {
            await(release);
            synchronized (published) {
                records.forEach(r -> published.add(r.kafkaOffset()));
            }
        });
        pipeline.submit(batch(0, 3));
        CompletableFuture<Void> closing = CompletableFuture.runAsync(pipeline::close);
        Thread.sleep(100);
        assertThat(closing).isNotDone();
        release.countDown();
        closing.get(10, TimeUnit.SECONDS);
        synchronized (published) {
            assertThat(published).containsExactly(0L, 1L, 2L);
        }
        assertThatThrownBy(() -> pipeline.submit(batch(3, 1))).hasMessageContaining("stopped");
        pipeline.close();
    }

    static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
