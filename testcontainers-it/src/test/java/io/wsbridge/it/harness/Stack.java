package io.wsbridge.it.harness;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka broker and one Connect worker (127.0.0.1, plugin archive on its plugin.path), plus a
 * producer of test events.
 *
 * <p>{@link #shared()} starts them once per test JVM, for every IT that does not break them on purpose;
 * use it through {@link StackExtension}, which closes it at the end of the test run. Tests that kill or
 * restart servers build their own with {@link #startNew(String)}. Whatever is left is killed when the
 * JVM exits ({@link ManagedProcess}'s shutdown hook and guards), so no server outlives a Maven run.
 */
public final class Stack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Stack.class);
    private static Stack shared;
    private static RuntimeException sharedFailure;

    private final KafkaBroker kafka;
    private final ConnectWorker worker;
    private Events events;

    private Stack(KafkaBroker kafka, ConnectWorker worker) {
        this.kafka = kafka;
        this.worker = worker;
    }

    /** The stack of this JVM, started on first use; a failed start fails every later call at once. */
    public static synchronized Stack shared() {
        if (sharedFailure != null) {
            throw new IllegalStateException("the shared stack failed to start earlier", sharedFailure);
        }
        if (shared == null) {
            try {
                shared = startNew("wsbridge-it");
            } catch (RuntimeException e) {
                sharedFailure = e;
                throw e;
            }
        }
        return shared;
    }

    /** A new broker and worker; the worker's Connect group (and internal topics) is {@code groupId}. */
    public static Stack startNew(String groupId) {
        long started = System.nanoTime();
        KafkaBroker kafka = new KafkaBroker();
        try {
            kafka.start();
            ConnectWorker worker = new ConnectWorker(kafka, KafkaBroker.HOST, groupId, Map.of());
            worker.start();
            LOG.info("stack up in {} ms: {}, {}", (System.nanoTime() - started) / 1_000_000, kafka, worker);
            return new Stack(kafka, worker);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    public KafkaBroker kafka() {
        return kafka;
    }

    public ConnectWorker worker() {
        return worker;
    }

    public ConnectRest rest() {
        return worker.rest();
    }

    /** A producer on this stack's broker, closed with the stack. */
    public synchronized Events events() {
        if (events == null) {
            events = new Events(kafka.bootstrapServers());
        }
        return events;
    }

    /** Stops the worker before the broker, which it needs to leave its group cleanly. */
    @Override
    public synchronized void close() {
        synchronized (Stack.class) {
            if (shared == this) {
                shared = null;
            }
        }
        if (events != null) {
            events.close();
        }
        try {
            worker.close();
        } finally {
            kafka.close();
        }
    }
}
