package io.tracedistill.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;

/**
 * Counts the Spark jobs, the stages that ran (skipped ones, whose shuffle output was reused, are not counted) and the
 * tasks of everything a piece of code launches: what a stage's fixed cost per job is multiplied by; and the bytes
 * those tasks returned to the driver. Used by the benchmarks and by the tests that pin a stage's job count or what
 * its driver receives.
 *
 * <pre>
 *   try (JobCounter jobs = JobCounter.attach(spark.sparkContext())) {
 *       TokenizeStage.run(...);
 *       jobs.jobs();          // 7
 *       jobs.callSites();     // [collectAsList at TokenizeStage.java:297, ...]
 *       jobs.jobMillis();     // [412, 96, ...]
 *   }
 * </pre>
 * The listener bus delivers events asynchronously: every getter first waits for the bus to drain.
 */
public final class JobCounter extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final List<String> callSites = new ArrayList<>();
    private final Map<Integer, Long> started = new HashMap<>();
    private final Map<Integer, Long> millis = new LinkedHashMap<>();
    private int stages;
    private long tasks;
    private long resultBytes;

    private JobCounter(SparkContext sc) {
        this.sc = sc;
    }

    /** Starts counting on {@code sc}; {@link #close} stops. */
    public static JobCounter attach(SparkContext sc) {
        JobCounter c = new JobCounter(sc);
        sc.addSparkListener(c);
        return c;
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart start) {
        // The job's result stage (the highest stage id) is named after the action's call site.
        String site = "job " + start.jobId();
        int last = -1;
        for (StageInfo s : scala.jdk.javaapi.CollectionConverters.asJava(start.stageInfos())) {
            if (s.stageId() > last) {
                last = s.stageId();
                site = s.name();
            }
        }
        callSites.add(site);
        started.put(start.jobId(), start.time());
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd end) {
        Long t0 = started.remove(end.jobId());
        if (t0 != null) {
            millis.put(end.jobId(), end.time() - t0);
        }
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted completed) {
        stages++;
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        tasks++;
        if (end.taskMetrics() != null) { // null for a task that failed before it ran
            resultBytes += end.taskMetrics().resultSize();
        }
    }

    /** Jobs started so far. */
    public int jobs() {
        drain();
        synchronized (this) {
            return callSites.size();
        }
    }

    /** Stages run so far (not the skipped ones). */
    public int stages() {
        drain();
        synchronized (this) {
            return stages;
        }
    }

    /** Tasks ended so far (retries included). */
    public long tasks() {
        drain();
        synchronized (this) {
            return tasks;
        }
    }

    /**
     * Serialized bytes the tasks sent back to the driver as their results (Spark's {@code resultSize} task metric):
     * the rows a {@code collect} brings, a write's commit messages, a count's numbers. What the driver receives from
     * the executors, so a stage whose driver keeps summaries only sends a number of bytes independent of its row count.
     */
    public long resultBytes() {
        drain();
        synchronized (this) {
            return resultBytes;
        }
    }

    /** The call site of each job, in start order ({@code "collectAsList at TokenizeStage.java:297"}). */
    public List<String> callSites() {
        drain();
        synchronized (this) {
            return List.copyOf(callSites);
        }
    }

    /** Wall time of each ended job, in end order, in milliseconds. */
    public List<Long> jobMillis() {
        drain();
        synchronized (this) {
            return List.copyOf(millis.values());
        }
    }

    /** One line: jobs, stages, tasks, the jobs' summed wall time and the task result bytes. */
    @Override
    public String toString() {
        return jobs() + " jobs (" + jobMillis().stream().mapToLong(Long::longValue).sum() + " ms in jobs), " + stages()
                + " stages, " + tasks() + " tasks, " + resultBytes() + " result bytes to the driver";
    }

    private void drain() {
        try {
            sc.listenerBus().waitUntilEmpty();
        } catch (TimeoutException e) {
            throw new IllegalStateException("Spark's listener bus did not drain within 10 s; the counts would be short", e);
        }
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
