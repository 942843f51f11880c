package io.wsbridge.bench.jmh;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.filter.InvalidFilterException;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.connect.convert.ApplicationResolver;
import io.wsbridge.connect.convert.EventConverter;
import io.wsbridge.connect.convert.NonCloudEventPolicy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.sink.SinkRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Filters per event: 100 subscriptions of one application without a filter ({@code unfiltered}, the baseline), and
 * 100 subscriptions sharing 10 distinct filters ({@code tenFilters}: {@code device = 'device-N'}, one of which the
 * event matches). {@code tenFilters} routes an event made from the frame's text, whose attributes the router reads from
 * the frame (as for a structured-mode record or an event a peer forwarded); {@code tenFiltersAttached} the event as the
 * converter makes it from a binary-mode record, with the attributes it read attached. The {@code pipeline} variants
 * convert a binary-mode record first, the task's whole work per event. Subscriptions only count what they are offered,
 * so the scores are routing and filtering alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class FilterBenchmark {

    private static final int SUBSCRIBERS = 100;
    private static final int FILTERS = 10;

    private Router unfiltered;
    private Router filtered;
    private EventConverter converter;
    private SinkRecord record;
    private long offset = 1_000;
    private Event event;
    private Event attached;

    @Setup(Level.Trial)
    public void setUp() throws InvalidFilterException {
        converter = new EventConverter(ApplicationResolver.withDefaultPattern(), NonCloudEventPolicy.WRAP);
        record = Records.binary(42); // device-42
        // Without a Kafka position: the router drops an event whose position it has passed (a task's redelivery), and
        // these benchmarks publish the same event again and again.
        Event converted = converter.convert(record);
        event = new Event(converted.application(), converted.channel(), converted.text());
        attached = Event.fromUtf8(converted.application(), converted.channel(),
                converted.text().getBytes(StandardCharsets.UTF_8), converted.attributes());
        if (converted.attributes() == null) {
            throw new IllegalStateException("the converter attached no attributes to " + converted);
        }
        unfiltered = new Router();
        filtered = new Router();
        for (int i = 0; i < SUBSCRIBERS; i++) {
            unfiltered.add(new RouteBenchmark.CountingSubscription(Records.APPLICATION));
            String expression = "device = 'device-" + (42 + i % FILTERS) + "'";
            filtered.add(new RouteBenchmark.CountingSubscription(Records.APPLICATION,
                    filtered.filters().acquire(filtered.filters().validate(List.of(), expression))));
        }
        if (filtered.filters().distinct() != FILTERS) {
            throw new IllegalStateException(filtered.filters().distinct() + " filters, expected " + FILTERS);
        }
    }

    @Benchmark
    public void unfiltered() {
        unfiltered.publish(event);
    }

    @Benchmark
    public void tenFilters() {
        filtered.publish(event);
    }

    @Benchmark
    public void tenFiltersAttached() {
        filtered.publish(attached);
    }

    @Benchmark
    public void pipelineUnfiltered() {
        unfiltered.publish(converter.convert(next()));
    }

    @Benchmark
    public void pipelineTenFilters() {
        filtered.publish(converter.convert(next()));
    }

    /** A record at the next offset, as a task gets them: the pipeline's events have growing positions. */
    private SinkRecord next() {
        return Records.binary(offset++);
    }
}
