package io.tracedistill.testdata;

import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.List;

/**
 * Guard for tests that start listeners on all interfaces (xgboost's tracker and workers, a standalone Spark
 * cluster's training ranks): they run only where every network interface that is up is a loopback one, i.e. in
 * the loopback-only namespace of the {@code loopback-namespace} surefire executions (pipeline/spark/pom.xml,
 * jobs/pom.xml). Elsewhere (a {@code -Dtest=...} that also matched a default execution) they skip themselves:
 * {@code assumeTrue(LoopbackNamespace.inside(), LoopbackNamespace.whyNotInside())}.
 */
public final class LoopbackNamespace {

    private LoopbackNamespace() {
    }

    /** Whether no non-loopback interface is up. */
    public static boolean inside() {
        return otherInterfacesUp().isEmpty();
    }

    /** The skip message naming the interfaces that are up. */
    public static String whyNotInside() {
        return "network interfaces " + otherInterfacesUp() + " are up: this test listens on all interfaces and runs only in"
                + " the loopback-only namespace of a loopback-namespace surefire execution";
    }

    private static List<String> otherInterfacesUp() {
        try {
            return NetworkInterface.networkInterfaces().filter(i -> {
                try {
                    return !i.isLoopback() && i.isUp();
                } catch (SocketException e) {
                    return true;
                }
            }).map(NetworkInterface::getName).toList();
        } catch (SocketException e) {
            return List.of("(cannot list interfaces: " + e.getMessage() + ")");
        }
    }
}
