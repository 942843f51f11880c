package io.wsbridge.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.management.AttributeNotFoundException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Remote JMX of a process started with {@link #remoteJmxOptions}: how an operator's monitoring reads a Connect
 * worker's metrics.
 *
 * <pre>{@code
 * int jmxPort = FreePorts.on("127.0.0.1");
 * ConnectWorker worker = new ConnectWorker(kafka, "127.0.0.1", "group", ItEnvironment.pluginPath(), Map.of(),
 *         JmxAccess.remoteJmxOptions("127.0.0.1", jmxPort)).start();
 * try (JmxAccess jmx = JmxAccess.connect("127.0.0.1", jmxPort)) {
 *     jmx.attribute(new ObjectName("kafka.connect:type=plugins,connector=ws,task=0"), "connections");
 * }
 * }</pre>
 */
public final class JmxAccess implements AutoCloseable {

    private final JMXConnector connector;
    private final MBeanServerConnection server;

    private JmxAccess(JMXConnector connector) throws IOException {
        this.connector = connector;
        this.server = connector.getMBeanServerConnection();
    }

    /**
     * JVM options that open remote JMX on {@code host:port} only (RMI registry and server on the same port), without
     * authentication or TLS: for a test machine's loopback, never for production.
     */
    public static List<String> remoteJmxOptions(String host, int port) {
        FreePorts.requireLoopback(host);
        return List.of(
                "-Dcom.sun.management.jmxremote.port=" + port,
                "-Dcom.sun.management.jmxremote.rmi.port=" + port,
                "-Dcom.sun.management.jmxremote.host=" + host,
                "-Dcom.sun.management.jmxremote.authenticate=false",
                "-Dcom.sun.management.jmxremote.ssl=false",
                "-Djava.rmi.server.hostname=" + host);
    }

    /** Connects to the JMX agent of {@link #remoteJmxOptions}. */
    public static JmxAccess connect(String host, int port) {
        JMXServiceURL url;
        try {
            url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + host + ":" + port + "/jmxrmi");
            return new JmxAccess(JMXConnectorFactory.connect(url, Map.of()));
        } catch (IOException e) {
            throw new UncheckedIOException("no JMX agent on " + host + ":" + port, e);
        }
    }

    public MBeanServerConnection server() {
        return server;
    }

    /** The remote JVM's threads: their names and CPU times. */
    public ThreadMXBean threads() {
        try {
            return ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.THREAD_MXBEAN_NAME,
                    ThreadMXBean.class);
        } catch (IOException e) {
            throw new UncheckedIOException("no thread MXBean over JMX", e);
        }
    }

    /** The MBeans matching {@code pattern}, e.g. {@code kafka.connect:*}. */
    public Set<ObjectName> names(String pattern) {
        try {
            return server.queryNames(new ObjectName(pattern), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The MBeans matching {@code pattern} that have an attribute named {@code attribute}. */
    public List<ObjectName> namesWithAttribute(String pattern, String attribute) {
        return names(pattern).stream().filter(name -> attributeNames(name).contains(attribute)).sorted().toList();
    }

    /** The attribute names of an MBean; empty if it is gone. */
    public List<String> attributeNames(ObjectName name) {
        try {
            return Arrays.stream(server.getMBeanInfo(name).getAttributes()).map(MBeanAttributeInfo::getName)
                    .toList();
        } catch (InstanceNotFoundException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An attribute's value; empty if the MBean or the attribute does not exist (any more). */
    public Optional<Object> attribute(ObjectName name, String attribute) {
        try {
            return Optional.ofNullable(server.getAttribute(name, attribute));
        } catch (InstanceNotFoundException | AttributeNotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A numeric attribute as a double; empty if the MBean or the attribute does not exist. */
    public Optional<Double> number(ObjectName name, String attribute) {
        return attribute(name, attribute).map(value -> ((Number) value).doubleValue());
    }

    @Override
    public void close() {
        try {
            connector.close();
        } catch (IOException e) {
            // the process may be gone already; nothing to release on our side
        }
    }
}
