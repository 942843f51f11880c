package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.wsbridge.bridge.bus.Event;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

class DirectFramesTest {

    final ArrayByteBufferPool pool = new ArrayByteBufferPool();

    /** One text frame of a client's view: opcode and payload. */
    record Parsed(int opcode, String payload) {
    }

    static List<Parsed> parse(ByteBuffer wire) {
        List<Parsed> frames = new ArrayList<>();
        while (wire.hasRemaining()) {
            int first = wire.get() & 0xFF;
            assertThat(first & 0x80).as("FIN").isNotZero();
            int second = wire.get() & 0xFF;
            assertThat(second & 0x80).as("a server's frames are not masked").isZero();
            long length = second & 0x7F;
            if (length == 126) {
                length = wire.getShort() & 0xFFFF;
            } else if (length == 127) {
                length = wire.getLong();
            }
            byte[] payload = new byte[(int) length];
            wire.get(payload);
            frames.add(new Parsed(first & 0x0F, new String(payload, StandardCharsets.UTF_8)));
        }
        return frames;
    }

    static Event event(int size) {
        return new Event("app", null, "x".repeat(size));
    }

    static final class Done implements Callback {
        final AtomicInteger succeeded = new AtomicInteger();
        final AtomicReference<Throwable> failed = new AtomicReference<>();

        @Override
        public void succeeded() {
            succeeded.incrementAndGet();
        }

        @Override
        public void failed(Throwable x) {
            failed.set(x);
        }
    }

    @Test
    void aBatchIsOneWriteOfTextFramesWithHeadersOfEachLength() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint(new byte[0], 1 << 20);
        DirectFrames frames = new DirectFrames(endPoint, pool, () -> true);
        List<Event> batch = new ArrayList<>();
        for (int size : new int[] {0, 5, 125, 126, 65_535, 65_536, 100_000}) {
            batch.add(event(size));
        }
        Done done = new Done();

        frames.write(batch, done);

        assertThat(done.succeeded).hasValue(1);
        List<Parsed> parsed = parse(endPoint.takeOutput());
        assertThat(parsed).extracting(Parsed::opcode).containsOnly(1);
        assertThat(parsed).extracting(p -> p.payload().length())
                .containsExactly(0, 5, 125, 126, 65_535, 65_536, 100_000);
        assertThat(parsed.get(3).payload()).isEqualTo(batch.get(3).text());
    }

    @Test
    void pingsAndPongsWaitForTheWriteInFlightAndGoBeforeTheNextBatch() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint(new byte[0], 16); // full after 16 bytes: writes stay pending
        DirectFrames frames = new DirectFrames(endPoint, pool, () -> true);
        Done first = new Done();
        frames.write(List.of(event(100)), first);
        assertThat(first.succeeded).as("pending: the client has not read it").hasValue(0);

        frames.ping();
        frames.pong(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        Done second = new Done();
        frames.write(List.of(event(3)), second);

        ByteBuffer wire = ByteBuffer.allocate(1024);
        while (second.succeeded.get() == 0) {
            wire.put(endPoint.takeOutput()); // the client reads; the flusher completes the pending write
        }
        wire.put(endPoint.takeOutput()).flip();
        assertThat(first.succeeded).hasValue(1);
        assertThat(parse(wire)).containsExactly(new Parsed(1, "x".repeat(100)), new Parsed(0xA, "hello"),
                new Parsed(0x9, ""), new Parsed(1, "xxx"));
    }

    @Test
    void aCloseWaitsForTheWriteInFlightAndThenNothingIsWritten() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint(new byte[0], 16);
        DirectFrames frames = new DirectFrames(endPoint, pool, () -> true);
        Done inFlight = new Done();
        frames.write(List.of(event(100)), inFlight);
        AtomicBoolean closeSent = new AtomicBoolean();
        AtomicBoolean clientCloseAnswered = new AtomicBoolean();

        frames.closeThen(() -> clientCloseAnswered.set(true));
        frames.closeThen(() -> closeSent.set(true));
        frames.ping();
        assertThat(closeSent).as("not while a write is in flight").isFalse();

        ByteBuffer wire = ByteBuffer.allocate(1024);
        while (!closeSent.get()) {
            wire.put(endPoint.takeOutput());
        }
        wire.put(endPoint.takeOutput()).flip();
        assertThat(clientCloseAnswered).as("both continuations ran").isTrue();
        assertThat(parse(wire)).as("no ping after the close").containsExactly(new Parsed(1, "x".repeat(100)));
        Done after = new Done();
        frames.write(List.of(event(1)), after);
        assertThat(after.failed.get()).isInstanceOf(ClosedChannelException.class);
        AtomicBoolean ranAtOnce = new AtomicBoolean();
        frames.closeThen(() -> ranAtOnce.set(true));
        assertThat(ranAtOnce).as("idle: at once").isTrue();
    }

    @Test
    void nothingIsWrittenOnceJettyClosedTheOutput() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint(new byte[0], 1 << 20);
        DirectFrames frames = new DirectFrames(endPoint, pool, () -> false);
        Done done = new Done();

        frames.write(List.of(event(10)), done);

        assertThat(done.failed.get()).isInstanceOf(ClosedChannelException.class);
        assertThat(endPoint.takeOutput().remaining()).isZero();
    }

    /** A connection whose client takes everything at once. */
    static final class Sink extends ByteArrayEndPoint {
        long bytes;

        @Override
        public boolean flush(ByteBuffer... buffers) {
            for (ByteBuffer buffer : buffers) {
                bytes += buffer.remaining();
                buffer.position(buffer.limit());
            }
            return true;
        }
    }

    @Test
    void nothingIsAllocatedPerFrameInSteadyState() {
        Sink endPoint = new Sink();
        DirectFrames frames = new DirectFrames(endPoint, pool, () -> true);
        List<Event> batch = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            batch.add(event(400));
        }
        Done done = new Done();
        for (int i = 0; i < 20_000; i++) {
            frames.write(batch, done); // warm-up: the pool fills, the JIT compiles
        }
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        int batches = 20_000;

        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < batches; i++) {
            frames.write(batch, done);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;

        assertThat(done.succeeded).hasValue(40_000);
        assertThat(endPoint.bytes).isEqualTo(40_000L * 64 * (4 + 400));
        double perFrame = (double) allocated / (batches * 64L);
        assertThat(perFrame).as("bytes allocated per frame (%,d in all)", allocated).isLessThan(1.0);
    }
}
