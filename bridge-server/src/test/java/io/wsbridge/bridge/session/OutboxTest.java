package io.wsbridge.bridge.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsbridge.bridge.bus.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** The outbox's rules, without sockets: a writer that records what it is given and completes when told to. */
class OutboxTest {

    /** Records each write; completes it only when the test says so, unless {@code completeAtOnce}. */
    static final class RecordingWriter implements Outbox.Writer<Integer> {
        final List<List<Integer>> writes = new ArrayList<>();
        final List<Callback> pending = new ArrayList<>();
        volatile boolean ready = true;
        boolean completeAtOnce;
        int inFlight;
        int maxInFlight;
        int written;
        Throwable failure;

        @Override
        public boolean ready() {
            return ready;
        }

        @Override
        public synchronized void write(List<Integer> batch, Callback done) {
            writes.add(List.copyOf(batch));
            maxInFlight = Math.max(maxInFlight, ++inFlight);
            if (completeAtOnce) {
                inFlight--;
                done.succeeded();
            } else {
                pending.add(done);
            }
        }

        /** Completes the oldest pending write. */
        void complete() {
            Callback done;
            synchronized (this) {
                done = pending.remove(0);
                inFlight--;
            }
            done.succeeded();
        }

        @Override
        public void written() {
            written++;
        }

        /** Fails the oldest pending write. */
        void failOldest() {
            Callback done;
            synchronized (this) {
                done = pending.remove(0);
                inFlight--;
            }
            done.failed(new java.io.IOException("connection reset"));
        }

        @Override
        public void failed(Throwable cause) {
            failure = cause;
        }

        List<Integer> all() {
            return writes.stream().flatMap(List::stream).toList();
        }
    }

    final RecordingWriter writer = new RecordingWriter();

    Outbox<Integer> outbox(int capacity, OverflowPolicy policy, int maxBatch, Outbox.FlushMode mode) {
        return new Outbox<>(capacity, policy, maxBatch, mode, null, writer);
    }

    @Test
    void offeringNeverBlocksWhileAWriteIsStuck() throws Exception {
        Outbox<Integer> outbox = outbox(10_000, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER);

        // the first write never completes, as with a client that stopped reading
        CompletableFuture<List<Outbox.Outcome>> offering = CompletableFuture.supplyAsync(
                () -> IntStream.range(0, 5_000).mapToObj(outbox::offer).toList());

        assertThat(offering.get(10, TimeUnit.SECONDS)).containsOnly(Outbox.Outcome.QUEUED);
        assertThat(writer.writes).hasSize(1);
        assertThat(outbox.size()).isEqualTo(4_999);
    }

    @Test
    void atMostOneWriteIsInFlightAndItsCompletionWritesWhatQueuedMeanwhile() {
        Outbox<Integer> outbox = outbox(100, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER);

        outbox.offer(0);
        outbox.offer(1);
        outbox.offer(2);
        assertThat(writer.writes).containsExactly(List.of(0));

        writer.complete();
        assertThat(writer.writes).containsExactly(List.of(0), List.of(1, 2));
        writer.complete();
        assertThat(writer.maxInFlight).isEqualTo(1);
        assertThat(writer.written).isEqualTo(2);
        assertThat(outbox.size()).isZero();
    }

    @Test
    void itemsLeaveInOrderInBatchesOfAtMostMaxBatch() {
        Outbox<Integer> outbox = outbox(100, OverflowPolicy.CLOSE, 3, Outbox.FlushMode.ON_FLUSH);
        writer.completeAtOnce = true;
        for (int i = 0; i < 8; i++) {
            outbox.offer(i);
        }
        assertThat(writer.writes).as("on-flush mode writes only on flush()").isEmpty();

        outbox.flush();

        assertThat(writer.writes).containsExactly(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6, 7));
    }

    @Test
    void closePolicyClosesAndEmptiesTheOutboxWhenItIsFull() {
        writer.ready = false;
        Outbox<Integer> outbox = outbox(2, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER);

        assertThat(outbox.offer(0)).isEqualTo(Outbox.Outcome.QUEUED);
        assertThat(outbox.offer(1)).isEqualTo(Outbox.Outcome.QUEUED);
        assertThat(outbox.offer(2)).isEqualTo(Outbox.Outcome.OVERFLOWED);

        assertThat(outbox.isClosed()).isTrue();
        assertThat(outbox.size()).isZero();
        assertThat(outbox.offer(3)).isEqualTo(Outbox.Outcome.CLOSED);
        assertThat(outbox.dropped()).isZero();
    }

    @Test
    void dropOldestPolicyDropsTheOldestCountsItAndKeepsTheNewest() {
        writer.ready = false;
        Outbox<Integer> outbox = outbox(2, OverflowPolicy.DROP_OLDEST, 64, Outbox.FlushMode.ON_OFFER);
        outbox.offer(0);
        outbox.offer(1);

        assertThat(outbox.offer(2)).isEqualTo(Outbox.Outcome.QUEUED_DROPPING_OLDEST);
        assertThat(outbox.offer(3)).isEqualTo(Outbox.Outcome.QUEUED_DROPPING_OLDEST);
        assertThat(outbox.dropped()).isEqualTo(2);
        assertThat(outbox.isClosed()).isFalse();

        writer.ready = true;
        writer.completeAtOnce = true;
        outbox.flush();
        assertThat(writer.all()).containsExactly(2, 3);
    }

    @Test
    void nothingIsWrittenBeforeTheWriterIsReady() {
        writer.ready = false;
        Outbox<Integer> outbox = outbox(10, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER);
        outbox.offer(0);
        assertThat(writer.writes).isEmpty();

        writer.ready = true;
        outbox.offer(1);
        assertThat(writer.writes).containsExactly(List.of(0, 1));
    }

    @Test
    void withinAWriteBatchItWritesOnceItHasAFullBatchAndTheRestWhenTheBatchEnds() {
        writer.completeAtOnce = true;
        Outbox<Integer> outbox = outbox(1_000, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER);

        WriteBatch.run(() -> {
            IntStream.range(0, 10).forEach(outbox::offer);
            assertThat(writer.writes).isEmpty();
            IntStream.range(10, 64).forEach(outbox::offer);
            assertThat(writer.writes).hasSize(1);
            assertThat(writer.writes.get(0)).hasSize(64);
            IntStream.range(64, 70).forEach(outbox::offer);
            assertThat(writer.writes).hasSize(1);
        });

        assertThat(writer.writes).hasSize(2);
        assertThat(writer.writes.get(1)).containsExactly(64, 65, 66, 67, 68, 69);
    }

    @Test
    void aSmallQueueWritesWhenHalfFullEvenWithinAWriteBatch() {
        writer.completeAtOnce = true;
        Outbox<Integer> outbox = outbox(8, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER);

        WriteBatch.run(() -> {
            IntStream.range(0, 3).forEach(outbox::offer);
            assertThat(writer.writes).isEmpty();
            outbox.offer(3);
            assertThat(writer.writes).containsExactly(List.of(0, 1, 2, 3));
        });
    }

    @Test
    void aMergerFoldsOffersIntoTheTailEvenWhenTheQueueIsFull() {
        writer.ready = false;
        List<String> merged = new ArrayList<>();
        Outbox<Integer> outbox = new Outbox<>(1, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_FLUSH,
                (tail, offered) -> tail.equals(offered) && merged.add(tail + "+" + offered), writer);
        outbox.offer(7);

        assertThat(outbox.offer(7)).isEqualTo(Outbox.Outcome.MERGED);
        assertThat(merged).containsExactly("7+7");
        assertThat(outbox.isClosed()).isFalse();
        assertThat(outbox.offer(8)).isEqualTo(Outbox.Outcome.OVERFLOWED);
    }

    @Test
    void aFailedWriteClosesTheOutboxAndTellsTheWriter() {
        Outbox<Integer> outbox = outbox(10, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER);
        outbox.offer(0);
        outbox.offer(1);
        IllegalStateException broken = new IllegalStateException("connection reset");

        writer.pending.remove(0).failed(broken);

        assertThat(outbox.isClosed()).isTrue();
        assertThat(outbox.size()).isZero();
        assertThat(writer.failure).isSameAs(broken);
        assertThat(outbox.offer(2)).isEqualTo(Outbox.Outcome.CLOSED);
    }

    @Test
    void closeReportsWhetherItWasTheFirst() {
        Outbox<Integer> outbox = outbox(10, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER);

        assertThat(outbox.close()).isTrue();
        assertThat(outbox.close()).isFalse();
    }

    @Test
    void refusesANonPositiveCapacityOrBatch() {
        assertThatThrownBy(() -> outbox(0, OverflowPolicy.CLOSE, 64, Outbox.FlushMode.ON_OFFER))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("capacity must be at least 1, was 0");
        assertThatThrownBy(() -> outbox(1, OverflowPolicy.CLOSE, 0, Outbox.FlushMode.ON_OFFER))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxBatch must be at least 1, was 0");
    }

    @Test
    void settledCountsWhatWasWrittenOrDroppedInTheOrderItWasTaken() {
        Outbox<Integer> outbox = outbox(3, OverflowPolicy.DROP_OLDEST, 2, Outbox.FlushMode.ON_FLUSH);
        IntStream.range(0, 3).forEach(outbox::offer);
        assertThat(outbox.taken()).isEqualTo(3);
        assertThat(outbox.settled()).isZero();

        outbox.flush(); // 0 and 1 in flight
        assertThat(outbox.settled()).as("a write in flight is not settled").isZero();
        writer.complete();
        assertThat(outbox.settled()).isEqualTo(2); // 2 is in flight now

        outbox.offer(3);
        outbox.offer(4);
        outbox.offer(5); // 3, 4, 5 queued: full
        outbox.offer(6); // drops 3
        assertThat(outbox.taken()).isEqualTo(7);
        assertThat(outbox.settled()).as("the dropped one is settled, though after one in flight").isEqualTo(3);
        writer.complete(); // 2 written; 4, 5 in flight
        assertThat(outbox.settled()).isEqualTo(4);

        assertThat(outbox.closeAndTake()).as("what was queued, not what is in flight").containsExactly(6);
        assertThat(outbox.settled()).as("what is handed back is not settled").isEqualTo(4);
        assertThat(outbox.closeAndTake()).isEmpty();
        writer.complete();
        assertThat(outbox.settled()).isEqualTo(6);
        assertThat(outbox.offer(8)).isEqualTo(Outbox.Outcome.CLOSED);
        assertThat(outbox.taken()).isEqualTo(7);
    }

    @Test
    void whatClosingForgetsAndAFailedWriteNeverSettle() {
        Outbox<Integer> outbox = outbox(10, OverflowPolicy.CLOSE, 2, Outbox.FlushMode.ON_FLUSH);
        IntStream.range(0, 5).forEach(outbox::offer);
        outbox.flush();
        outbox.close();
        assertThat(outbox.settled()).isZero();
        writer.failOldest();
        assertThat(outbox.settled()).isZero();
        assertThat(outbox.taken()).isEqualTo(5);
    }

    @Test
    void whatWaitsForTheWriteInFlightRunsOnceTheWriterWasToldHowItEndedBeforeTheNextWrite() {
        RecordingWriter writer = new RecordingWriter();
        Outbox<Integer> outbox = new Outbox<>(10, OverflowPolicy.CLOSE, 10, Outbox.FlushMode.ON_OFFER, null, writer);
        List<String> seen = new ArrayList<>();
        outbox.whenWriteSettles(() -> seen.add("idle"));
        assertThat(seen).as("no write in flight: at once").containsExactly("idle");

        outbox.offer(1);
        outbox.offer(2);
        outbox.whenWriteSettles(() -> seen.add("after the first, written " + writer.written + ", writes "
                + writer.writes.size()));
        outbox.whenWriteSettles(() -> seen.add("then this"));
        assertThat(seen).hasSize(1);
        writer.complete();
        assertThat(seen).containsExactly("idle", "after the first, written 1, writes 1", "then this");
        assertThat(writer.writes).as("the next write starts after").containsExactly(List.of(1), List.of(2));

        outbox.whenWriteSettles(() -> seen.add("after a failure: " + writer.failure.getMessage()));
        writer.failOldest();
        assertThat(seen).last().isEqualTo("after a failure: connection reset");
    }
}
