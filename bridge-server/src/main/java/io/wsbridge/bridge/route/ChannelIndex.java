package io.wsbridge.bridge.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Items of one application, by the channel they listen on: those of every channel, and those of each channel, so that
 * an event is offered to the items of its own channel only, however many channels the application has (10,000 device
 * channels of 10 subscribers each cost an event 10 offers, not 100,000 checks). Mutated by one thread at a time (the
 * router's {@code routes.compute}), read without locks.
 *
 * @param <T> subscriptions, or the balancers of groups
 */
final class ChannelIndex<T> {

    private final T[] none;
    private final Function<T, String> channelOf;
    private volatile T[] any;
    private final Map<String, T[]> byChannel = new ConcurrentHashMap<>();
    private int size;

    /** @param channelOf the channel an item listens on, {@code null} for every channel */
    ChannelIndex(T[] none, Function<T, String> channelOf) {
        this.none = none;
        this.any = none;
        this.channelOf = channelOf;
    }

    void add(T item) {
        String channel = channelOf.apply(item);
        if (channel == null) {
            any = grow(any, item);
        } else {
            byChannel.put(channel, grow(byChannel.getOrDefault(channel, none), item));
        }
        size++;
    }

    /** @return {@code true} if it was there */
    boolean remove(T item) {
        String channel = channelOf.apply(item);
        T[] current = channel == null ? any : byChannel.getOrDefault(channel, none);
        T[] shrunk = shrink(current, item);
        if (shrunk == current) {
            return false;
        }
        if (channel == null) {
            any = shrunk;
        } else if (shrunk.length == 0) {
            byChannel.remove(channel);
        } else {
            byChannel.put(channel, shrunk);
        }
        size--;
        return true;
    }

    /** The items of every channel: offer an event to each that {@linkplain Subscription#accepts accepts} it. */
    T[] any() {
        return any;
    }

    /** The items of {@code channel} ({@code null}: none). */
    T[] of(String channel) {
        return channel == null ? none : byChannel.getOrDefault(channel, none);
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    List<T> all() {
        List<T> all = new ArrayList<>(Arrays.asList(any));
        byChannel.values().forEach(items -> all.addAll(Arrays.asList(items)));
        return all;
    }

    private T[] grow(T[] current, T added) {
        T[] grown = Arrays.copyOf(current, current.length + 1);
        grown[current.length] = added;
        return grown;
    }

    private T[] shrink(T[] current, T removed) {
        for (int i = 0; i < current.length; i++) {
            if (current[i] == removed) {
                T[] shrunk = Arrays.copyOf(none, current.length - 1);
                System.arraycopy(current, 0, shrunk, 0, i);
                System.arraycopy(current, i + 1, shrunk, i, current.length - i - 1);
                return shrunk;
            }
        }
        return current;
    }
}
