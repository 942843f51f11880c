package io.wsbridge.bench.jmh;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.Filter;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.route.Subscription;
import io.wsbridge.connect.convert.ApplicationResolver;
import io.wsbridge.connect.convert.EventConverter;
import io.wsbridge.connect.convert.NonCloudEventPolicy;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.sink.SinkRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Routing per event and per subscriber: one event published to {@code subscribers} subscriptions of its application.
 * {@code route} offers it to subscriptions that only count; {@code deliver} to real subscribers (queue, flusher, frame)
 * whose network writes complete at once; {@code pipeline} converts a record and delivers it, the task's whole work
 * per event. Divide a score by {@code subscribers} for the cost per subscriber.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class RouteBenchmark {

    @Param({"1", "10", "100"})
    public int subscribers;

    private Router counting;
    private Router delivering;
    private BenchSubscribers host;
    private Event event;
    private EventConverter converter;
    private SinkRecord record;
    private long offset = 1_000;

    @Setup(Level.Trial)
    public void setUp() {
        converter = new EventConverter(ApplicationResolver.withDefaultPattern(), NonCloudEventPolicy.WRAP);
        record = Records.binary(42);
        // Without a Kafka position: the router drops an event whose position it has passed (a task's redelivery), and
        // these benchmarks publish the same event again and again.
        Event converted = converter.convert(record);
        event = new Event(converted.application(), converted.channel(), converted.text());
        counting = new Router();
        for (int i = 0; i < subscribers; i++) {
            counting.add(new CountingSubscription(Records.APPLICATION));
        }
        delivering = new Router();
        host = new BenchSubscribers(delivering, 1024);
        for (int i = 0; i < subscribers; i++) {
            host.open(Records.APPLICATION, null, new BenchSubscribers.SinkSession());
        }
    }

    @Benchmark
    public void route() {
        counting.publish(event);
    }

    /** As {@code Bridge.publish}: count the event in, then route it. */
    @Benchmark
    public void deliver() {
        publish(event);
    }

    @Benchmark
    public void pipeline() {
        publish(converter.convert(next()));
    }

    private void publish(Event published) {
        host.meters(published.application()).eventsIn().increment();
        delivering.publish(published);
    }

    /** A record at the next offset, as a task gets them: the pipeline's events have growing positions. */
    private SinkRecord next() {
        return Records.binary(offset++);
    }

    /** A plain subscription of every channel, with a filter or without, that takes what it is offered and counts it. */
    static final class CountingSubscription implements Subscription {

        private final String application;
        private final Filter filter;
        long offered;

        CountingSubscription(String application) {
            this(application, null);
        }

        CountingSubscription(String application, Filter filter) {
            this.application = application;
            this.filter = filter;
        }

        @Override
        public Filter filter() {
            return filter;
        }

        @Override
        public String application() {
            return application;
        }

        @Override
        public String channel() {
            return null;
        }

        @Override
        public GroupKey group() {
            return null;
        }

        @Override
        public boolean offer(Event event) {
            offered++;
            return true;
        }
    }
}
