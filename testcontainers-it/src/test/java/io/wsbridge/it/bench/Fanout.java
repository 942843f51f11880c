package io.wsbridge.it.bench;

import io.wsbridge.it.harness.Events;
import io.wsbridge.it.harness.JmxAccess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Fan-out at scale (issue 15, item 1): {@code channels} device channels ({@code /{app}/{channel}}) of
 * {@code perChannel} subscribers each, every one an idle-looking client that gets about one event a second, while
 * {@code rate} events/s spread over the devices flow for {@code seconds}. Measures the time to connect everyone, heap
 * (after a full GC) and RSS per connection, produce-to-receive latency of every frame and the frames lost, beside a bare
 * Kafka consumer of the same events (the latency baseline) and the same clients against bare Jetty, which paces the
 * same number of events over the same channels itself (the baseline of connecting, memory and the clients' own cost).
 */
final class Fanout {

    static final String APP = "bench-fanout";

    private final Bench bench;
    private final Bench.Options options;
    /** The channels and events a second of this run: as asked, or fewer if this machine cannot hold them all. */
    private int channels;
    private int rate;

    Fanout(Bench bench) {
        this.bench = bench;
        this.options = bench.options();
    }

    /** File descriptors a process needs beside its clients' connections: Kafka, the plugin's jars, the JVM. */
    static final int SPARE_DESCRIPTORS = 2_000;

    void run() throws Exception {
        long limit = openFileLimit();
        channels = options.fanoutChannels;
        rate = options.fanoutRate;
        if ((long) channels * options.fanoutPerChannel + SPARE_DESCRIPTORS > limit) {
            // As many subscribers as a process may hold, each getting as many events a second as asked.
            int fit = (int) Math.max(1, (limit - SPARE_DESCRIPTORS) / options.fanoutPerChannel);
            String why = String.format(Locale.ROOT, "fan-out: scaled down from %,d to %,d subscribers (%,d channels"
                    + " x %d, %,d events/s): the worker and the load each hold one file descriptor per connection,"
                    + " and the limit here is %,d (ulimit -n; bench.sh raises it where the machine allows, e.g. as root"
                    + " with CAP_SYS_RESOURCE)", channels * options.fanoutPerChannel, fit * options.fanoutPerChannel,
                    fit, options.fanoutPerChannel, (int) ((long) rate * fit / channels), limit);
            rate = (int) Math.max(1, (long) rate * fit / channels);
            channels = fit;
            System.out.println("    " + why);
            bench.report().note(why);
        }
        int clients = channels * options.fanoutPerChannel;
        Bench.step(String.format(Locale.ROOT, "Fan-out: %,d subscribers (%,d channels x %d), %,d events/s of %d bytes"
                        + " of data for %d s after %d s of warm-up", clients, channels, options.fanoutPerChannel, rate,
                options.fanoutDataBytes, options.fanoutSeconds, options.fanoutWarmupSeconds));
        Result bridge = bridgeRun(clients);
        System.out.println("    wsbridge:   " + bridge);
        Result bare = bareRun(clients, bridge.framePayloadBytes);
        System.out.println("    bare Jetty: " + bare);
        bench.report().fanout(options, channels, rate, bridge, bare);
    }

    private Result bridgeRun(int clients) throws Exception {
        long pid = bench.workerPid();
        String name = bench.createConnector("fanout", Bench.topic(APP), options.latencyConsumerOverrides());
        bench.worker().rest().awaitRunning(name, 1);
        Result result = new Result();
        long measured = (long) rate * options.fanoutSeconds;
        try (WsLoad load = new WsLoad(options.clientThreads, capacityPerThread(measured));
             JmxAccess jmx = bench.workerJmx();
             KafkaProducer<byte[], byte[]> producer = bench.latencyProducer();
             KafkaLatencyProbe probe = new KafkaLatencyProbe(bench.kafka().bootstrapServers(), Bench.topic(APP),
                     options.latencyConsumer, (int) measured * 2 + 1000)) {
            connectAll(result, load, pid, bench.bridgePort(), clients, i -> "/" + APP + "/" + channel(i % channels));
            // One event per channel first: every subscriber then has had a frame, and the consumer has a position.
            long seq = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (load.frames() < clients && System.nanoTime() < deadline) {
                long round = seq;
                for (int c = 0; c < channels; c++) {
                    producer.send(record(round + c));
                }
                seq += channels;
                producer.flush();
                Thread.sleep(2_000);
            }
            if (load.frames() < clients) {
                throw new IllegalStateException("fan-out: " + load.frames() + " of " + clients
                        + " subscribers had an event within 120 s");
            }
            // Warm-up and measurement in one stream of events, as bare Jetty's run: recording starts between two
            // events, not after a pause (a pause of production is a different case; see BENCHMARKS.md).
            long before = load.frames();
            long beforeProbe = probe.received();
            long[] boundary = new long[4]; // events sent, worker CPU ticks, nanoTime and wall clock when recording started
            Bench.WorkerThreadsCpu threadsCpu = new Bench.WorkerThreadsCpu(jmx);
            long first = seq;
            long sentAll = Bench.pace(producer, rate, options.fanoutWarmupSeconds + options.fanoutSeconds,
                    options.fanoutWarmupSeconds, n -> record(first + n), sentSoFar -> {
                        load.recordLatency(true);
                        probe.record(true);
                        boundary[0] = sentSoFar;
                        boundary[1] = Bench.cpuTicks(pid);
                        boundary[2] = System.nanoTime();
                        boundary[3] = System.currentTimeMillis();
                        threadsCpu.mark();
                    });
            double recordedSeconds = (System.nanoTime() - boundary[2]) / 1e9;
            result.cpuSecondsPerSecond = (Bench.cpuTicks(pid) - boundary[1]) / Bench.TICKS / recordedSeconds;
            double[] threadCores = threadsCpu.coresSinceMark(recordedSeconds);
            result.publisherCores = threadCores[0];
            result.writerCores = threadCores[1];
            result.sent = sentAll;
            result.expected = sentAll * options.fanoutPerChannel;
            long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (load.frames() < before + result.expected && System.nanoTime() < wait) {
                Thread.sleep(100);
            }
            Bench.awaitCount(probe::received, beforeProbe + sentAll, Duration.ofSeconds(30));
            load.recordLatency(false);
            probe.record(false);
            result.received = load.frames() - before;
            long recorded = sentAll - boundary[0];
            result.latency = Bench.Latency.of(load.latenciesMicros(), recorded * options.fanoutPerChannel);
            result.kafka = Bench.Latency.of(probe.latenciesMicros(), recorded);
            result.closed = load.closedByServer();
            result.framePayloadBytes = (int) Math.round((double) load.bytes() / Math.max(1, load.frames())) - 4;
            // the wall clock of second 0, to line the late seconds up with the worker's GC log or a profile
            System.out.println("    wsbridge, late frames (seconds from " + Instant.ofEpochMilli(boundary[3]) + "): "
                    + load.lateFrames());
        } finally {
            bench.worker().rest().delete(name);
        }
        Thread.sleep(5_000); // the worker notices the closed connections before the bare run
        return result;
    }

    private Result bareRun(int clients, int frameBytes) throws Exception {
        long pid = bench.barePid();
        Result result = new Result();
        int seconds = options.fanoutWarmupSeconds + options.fanoutSeconds;
        String run = "fanout-" + System.nanoTime();
        long measured = (long) rate * options.fanoutSeconds;
        try (WsLoad load = new WsLoad(options.clientThreads, capacityPerThread(measured))) {
            // The server starts pacing when the last client has joined: the clock of the run starts here.
            connectAll(result, load, pid, bench.barePort(), clients, i -> "/fanout?id=" + run + "&clients=" + clients
                    + "&channels=" + channels + "&channel=" + (i % channels) + "&rate=" + rate + "&seconds=" + seconds
                    + "&size=" + frameBytes);
            long started = System.nanoTime();
            Thread.sleep(TimeUnit.SECONDS.toMillis(options.fanoutWarmupSeconds));
            long start = load.frames();
            long cpuBefore = Bench.cpuTicks(pid);
            load.recordLatency(true);
            long end = started + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                Thread.sleep(100);
            }
            result.cpuSecondsPerSecond = (Bench.cpuTicks(pid) - cpuBefore) / Bench.TICKS / options.fanoutSeconds;
            long all = (long) rate * seconds * options.fanoutPerChannel;
            long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (load.frames() < all && System.nanoTime() < wait) {
                Thread.sleep(100);
            }
            load.recordLatency(false);
            result.received = load.frames();
            result.sent = (long) rate * seconds;
            result.expected = all;
            result.latency = Bench.Latency.of(load.latenciesMicros(), all - start);
            result.closed = load.closedByServer();
            result.framePayloadBytes = frameBytes;
        }
        Thread.sleep(5_000);
        return result;
    }

    private void connectAll(Result result, WsLoad load, long pid, int port, int clients, IntFunction<String> path)
            throws Exception {
        result.heapBefore = Bench.heapAfterGc(pid);
        result.rssBefore = Bench.rss(pid);
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(600);
        InetSocketAddress server = new InetSocketAddress(Bench.HOST, port);
        for (int i = 0; i < clients && System.nanoTime() < deadline; i++) {
            while (i - load.opened() - load.failed() >= options.connectInFlight && System.nanoTime() < deadline) {
                LockSupport.parkNanos(50_000);
            }
            load.connect(server, Bench.sourceAddress(i), path.apply(i));
        }
        while (load.opened() + load.failed() < clients && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000);
        }
        result.connectSeconds = (System.nanoTime() - start) / 1e9;
        result.opened = load.opened();
        result.failed = load.failed();
        if (result.opened < clients) {
            throw new IllegalStateException(result.opened + " of " + clients + " clients connected, " + result.failed
                    + " failed");
        }
        result.heapAfter = Bench.heapAfterGc(pid);
        result.rssAfter = Bench.rss(pid);
        System.out.printf(Locale.ROOT, "    %,d connected in %.1f s; heap %,d -> %,d KB, RSS %,d -> %,d KB%n",
                result.opened, result.connectSeconds, result.heapBefore / 1024, result.heapAfter / 1024,
                result.rssBefore / 1024, result.rssAfter / 1024);
    }

    /** Room for every measured frame of the clients of one reactor thread, and a margin for uneven shares. */
    private int capacityPerThread(long events) {
        long frames = events * options.fanoutPerChannel;
        return (int) Math.min(Integer.MAX_VALUE - 8, frames / options.clientThreads + frames / 10 + 1000);
    }

    /** A telemetry event of the device (and channel, its subject) {@code seq} falls on. */
    private ProducerRecord<byte[], byte[]> record(long seq) {
        String device = channel(seq % channels);
        return Events.binaryRecord(Bench.topic(APP), new Events.CloudEvent("ev-" + seq, "drogue://" + APP + "/"
                + device, "io.drogue.event.v1", device, "2024-05-01T12:00:00.000Z", APP, device, Map.of(),
                "application/json", Bench.data(seq, System.nanoTime(), options.fanoutDataBytes)));
    }

    private static String channel(long index) {
        return "device-" + index;
    }

    /** The soft limit of open files of this process (its children, the worker among them, inherit it). */
    static long openFileLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown: try
        }
        return Long.MAX_VALUE;
    }

    /** One side of the fan-out run. */
    static final class Result {
        int opened;
        int failed;
        int closed;
        double connectSeconds;
        long heapBefore;
        long heapAfter;
        long rssBefore;
        long rssAfter;
        long sent;
        long expected;
        long received;
        int framePayloadBytes;
        double cpuSecondsPerSecond;
        /** wsbridge: the CPU of the tasks' publisher threads and of the bridge's write threads, in cores. */
        double publisherCores = Double.NaN;
        double writerCores = Double.NaN;
        Bench.Latency latency;
        Bench.Latency kafka;

        double heapPerConnection() {
            return (double) (heapAfter - heapBefore) / Math.max(1, opened);
        }

        double rssPerConnection() {
            return (double) (rssAfter - rssBefore) / Math.max(1, opened);
        }

        long lost() {
            return Math.max(0, expected - received);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d connected in %.1f s (%d failed), heap %.1f KB and RSS %.1f KB per"
                            + " connection; %,d events, %,d of %,d frames (%,d lost, %d closed), %s; CPU %.2f cores%s%s",
                    opened, connectSeconds, failed, heapPerConnection() / 1024, rssPerConnection() / 1024, sent,
                    received, expected, lost(), closed, latency, cpuSecondsPerSecond,
                    Double.isNaN(publisherCores) ? "" : String.format(Locale.ROOT,
                            " (publisher thread %.2f, write threads %.2f)", publisherCores, writerCores),
                    kafka == null ? "" : "; bare Kafka consumer " + kafka);
        }
    }
}
