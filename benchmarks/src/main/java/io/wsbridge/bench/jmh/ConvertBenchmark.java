package io.wsbridge.bench.jmh;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.connect.convert.ApplicationResolver;
import io.wsbridge.connect.convert.EventConverter;
import io.wsbridge.connect.convert.NonCloudEventPolicy;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.sink.SinkRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Conversion and encoding per event: a binary-mode CloudEvent record with 200 bytes of JSON data becomes the
 * structured JSON frame, encoded to UTF-8 once ({@link EventConverter#convert}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class ConvertBenchmark {

    private static final int RECORDS = 1024;

    private EventConverter converter;
    private SinkRecord[] records;
    private int next;

    @Setup
    public void setUp() {
        converter = new EventConverter(ApplicationResolver.withDefaultPattern(), NonCloudEventPolicy.WRAP);
        records = new SinkRecord[RECORDS];
        for (int i = 0; i < RECORDS; i++) {
            records[i] = Records.binary(i);
        }
    }

    @Benchmark
    public Event convert() {
        return converter.convert(records[next++ & (RECORDS - 1)]);
    }
}
