package io.wsbridge.bench.jmh;

import io.wsbridge.bridge.bus.Event;
import io.wsbridge.bridge.route.GroupKey;
import io.wsbridge.bridge.route.Router;
import io.wsbridge.bridge.route.Subscription;
import java.util.concurrent.TimeUnit;
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
 * Routing cost per event against the application's size: {@code channels} device channels of 10 subscribers each
 * (10,000 channels: 100,000 subscribers), and with {@code groups} one group of 2 members per channel as well; each
 * event goes to one channel, in turn. The score stays that of the event's own channel (10 offers, and one group's)
 * whatever the number of channels: the router finds a channel's subscribers by index, not by checking all of them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class ChannelRouteBenchmark {

    private static final int PER_CHANNEL = 10;

    @Param({"1", "100", "10000"})
    public int channels;

    @Param({"false", "true"})
    public boolean groups;

    private Router router;
    private Event[] events;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        router = new Router();
        events = new Event[channels];
        for (int c = 0; c < channels; c++) {
            String channel = "device-" + c;
            for (int i = 0; i < PER_CHANNEL; i++) {
                router.add(new ChannelSubscription(channel, null));
            }
            if (groups) {
                GroupKey key = GroupKey.anonymous("dashboards", channel);
                router.add(new ChannelSubscription(channel, key));
                router.add(new ChannelSubscription(channel, key));
            }
            events[c] = new Event(Records.APPLICATION, channel, "{\"n\":" + c + "}");
        }
    }

    @Benchmark
    public void route() {
        router.publish(events[next]);
        next = next + 1 == events.length ? 0 : next + 1;
    }

    /** A subscription of one channel (a group member if {@code group} is set) that takes what it is offered. */
    static final class ChannelSubscription implements Subscription {

        private final String channel;
        private final GroupKey group;
        long offered;

        ChannelSubscription(String channel, GroupKey group) {
            this.channel = channel;
            this.group = group;
        }

        @Override
        public String application() {
            return Records.APPLICATION;
        }

        @Override
        public String channel() {
            return channel;
        }

        @Override
        public GroupKey group() {
            return group;
        }

        @Override
        public boolean offer(Event event) {
            offered++;
            return true;
        }
    }
}
