package io.tracedistill.spark.train;

import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Guard for tests that start listeners on all interfaces: they run only where every network interface
 * is a loopback one (the {@code loopback-namespace} surefire execution, see pipeline/spark/pom.xml).
 * Elsewhere (a {@code -Dtest=...} that also matched the default execution) they are skipped.
 */
final class LoopbackNamespace {

    private LoopbackNamespace() {
    }

    static void assumeInside() throws SocketException {
        List<String> other = NetworkInterface.networkInterfaces().filter(i -> {
            try {
                return !i.isLoopback() && i.isUp();
            } catch (SocketException e) {
                return true;
            }
        }).map(NetworkInterface::getName).toList();
        assumeTrue(other.isEmpty(), "network interfaces " + other + " are up: this test listens on all interfaces and"
                + " runs only in the loopback-only namespace of the loopback-namespace surefire execution");
    }
}
