package io.wsbridge.bridge.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WritersTest {

    Writers writers;

    @AfterEach
    void close() {
        if (writers != null) {
            writers.close();
        }
    }

    @Test
    void aWideBatchIsSharedWithTheThreadsAndEveryWriteHasRunWhenTheBatchEnds() throws Exception {
        writers = new Writers("test-writer", 2);
        int count = 300;
        AtomicInteger ran = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        // every share waits until all three have started: passes only if they run at once, on three threads
        CountDownLatch allStarted = new CountDownLatch(3);
        Set<String> started = ConcurrentHashMap.newKeySet();
        WriteBatch.run(() -> {
            for (int i = 0; i < count; i++) {
                WriteBatch.defer(() -> {
                    String thread = Thread.currentThread().getName();
                    if (started.add(thread)) {
                        allStarted.countDown();
                        await(allStarted);
                    }
                    threads.add(thread);
                    ran.incrementAndGet();
                });
            }
        }, writers);

        assertThat(ran).hasValue(count);
        assertThat(threads).hasSize(3).contains(Thread.currentThread().getName())
                .anyMatch(name -> name.startsWith("test-writer-"));
        assertThat(writers.writesOnThreads()).isPositive().isLessThan(count);
    }

    @Test
    void aBatchDoesNotWaitForAWriteThreadThatIsBusyAndRunsItsWritesItself() throws Exception {
        writers = new Writers("test-writer", 1);
        // a first batch, on another thread, keeps the only write thread busy until released
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch writerBusy = new CountDownLatch(1);
        List<Runnable> blocking = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            blocking.add(() -> {
                if (Thread.currentThread().getName().startsWith("test-writer-")) {
                    writerBusy.countDown();
                }
                await(release);
            });
        }
        Thread first = new Thread(() -> writers.runAll(blocking), "first-publisher");
        first.start();
        try {
            assertThat(writerBusy.await(10, TimeUnit.SECONDS)).isTrue();
            Set<String> threads = ConcurrentHashMap.newKeySet();
            List<Runnable> writes = namingTheirThreads(200, threads);
            Thread second = new Thread(() -> writers.runAll(writes), "second-publisher");
            second.start();
            second.join(10_000);
            // with the write thread taken, the second batch ran all of its writes itself, and did not wait for it
            assertThat(second.isAlive()).isFalse();
            assertThat(threads).containsExactly("second-publisher");
        } finally {
            release.countDown();
            first.join(10_000);
        }
        assertThat(first.isAlive()).isFalse();
    }

    @Test
    void aNarrowBatchStaysOnThePublishingThread() {
        writers = new Writers("test-writer", 2);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<Runnable> writes = namingTheirThreads(Writers.SPREAD_AT - 1, threads);
        writers.runAll(writes);
        assertThat(threads).containsExactly(Thread.currentThread().getName());
        assertThat(writers.writesOnThreads()).isZero();
    }

    @Test
    void noThreadsKeepsEveryWriteOnThePublishingThreadAndResizingTakesEffect() {
        writers = new Writers("test-writer", 0);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<Runnable> writes = namingTheirThreads(200, threads);
        writers.runAll(writes);
        assertThat(threads).containsExactly(Thread.currentThread().getName());

        writers.resize(1);
        threads.clear();
        writers.runAll(meetingOn(2, 200, threads));
        assertThat(threads).hasSize(2);
    }

    @Test
    void aFailingWriteDoesNotKeepTheOthersFromRunningAndIsThrownAtTheEnd() {
        writers = new Writers("test-writer", 1);
        AtomicInteger ran = new AtomicInteger();
        List<Runnable> writes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int n = i;
            writes.add(() -> {
                ran.incrementAndGet();
                if (n == 10 || n == 90) { // one in each share
                    throw new IllegalStateException("write " + n);
                }
            });
        }
        assertThatThrownBy(() -> writers.runAll(writes)).isInstanceOf(IllegalStateException.class);
        assertThat(ran).hasValue(100);
    }

    @Test
    void afterCloseEveryWriteRunsOnThePublishingThread() {
        writers = new Writers("test-writer", 2);
        writers.close();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<Runnable> writes = namingTheirThreads(200, threads);
        writers.runAll(writes);
        assertThat(threads).containsExactly(Thread.currentThread().getName());
    }

    @Test
    void refusesANumberOfThreadsOutOfRange() {
        assertThatThrownBy(() -> new Writers("test-writer", -1)).hasMessageContaining("between 0 and 64, was -1");
        writers = new Writers("test-writer", 1);
        assertThatThrownBy(() -> writers.resize(65)).hasMessageContaining("between 0 and 64, was 65");
        assertThat(writers.threads()).isEqualTo(1);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).as("all shares running at once").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** {@code count} writes that each add the name of the thread they run on to {@code threads}. */
    private static List<Runnable> namingTheirThreads(int count, Set<String> threads) {
        List<Runnable> writes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            writes.add(() -> threads.add(Thread.currentThread().getName()));
        }
        return writes;
    }

    /**
     * {@code count} writes that add the name of the thread they run on to {@code threads}; the first write on each
     * thread waits until {@code parties} threads have started, so that they pass only if that many run them at once.
     */
    private static List<Runnable> meetingOn(int parties, int count, Set<String> threads) {
        CountDownLatch allStarted = new CountDownLatch(parties);
        List<Runnable> writes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            writes.add(() -> {
                if (threads.add(Thread.currentThread().getName())) {
                    allStarted.countDown();
                    await(allStarted);
                }
            });
        }
        return writes;
    }
}
