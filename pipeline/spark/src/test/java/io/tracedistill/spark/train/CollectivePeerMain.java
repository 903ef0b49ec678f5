package io.tracedistill.spark.train;

import java.time.Duration;

/**
 * A peer in its own JVM, for the failure tests of {@link XgboostCollectiveIT}: prints {@code JOINING}
 * (JVM start-up and loading the native library take seconds; the test joins after this line), joins the group at
 * {@code args[0]} (host:port) as task {@code args[1]}, all-reduces a vector of ones of length
 * {@code args[2]} once, prints {@code SUMMED <first element>}, then either waits to be killed
 * ({@code args[3] = wait}) or leaves normally ({@code leave}).
 */
public final class CollectivePeerMain {

    public static void main(String[] args) throws Exception {
        XgboostCollective.TrackerAddress tracker = XgboostCollective.TrackerAddress.parse(args[0]);
        int taskId = Integer.parseInt(args[1]);
        float[] ones = new float[Integer.parseInt(args[2])];
        java.util.Arrays.fill(ones, 1f);
        ml.dmlc.xgboost4j.java.InPlaceAllReduce.lastError(); // loads the native library before the line below
        System.out.println("JOINING");
        System.out.flush();
        XgboostCollective c = XgboostCollective.join(tracker, taskId, Duration.ofSeconds(5));
        c.allReduceSum(ones);
        System.out.println("SUMMED " + ones[0]);
        System.out.flush();
        if (args[3].equals("wait")) {
            Thread.sleep(Long.MAX_VALUE);
        }
        c.close();
    }
}
