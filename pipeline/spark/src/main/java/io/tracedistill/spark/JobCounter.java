package io.tracedistill.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
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
    private final Map<Integer, StageTimes> stageTimes = new LinkedHashMap<>();
    private final List<long[]> jobSpans = new ArrayList<>();
    private final long attached = System.currentTimeMillis();
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
            jobSpans.add(new long[] {t0, end.time()});
        }
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted completed) {
        stages++;
        StageInfo info = completed.stageInfo();
        StageTimes t = stageTimes.computeIfAbsent(info.stageId(), id -> new StageTimes());
        t.name = info.name();
        if (info.submissionTime().isDefined() && info.completionTime().isDefined()) {
            t.wallMillis = (Long) info.completionTime().get() - (Long) info.submissionTime().get();
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        tasks++;
        TaskMetrics m = end.taskMetrics();
        if (m != null) { // null for a task that failed before it ran
            resultBytes += m.resultSize();
            StageTimes t = stageTimes.computeIfAbsent(end.stageId(), id -> new StageTimes());
            t.tasks++;
            t.deserializeMillis += m.executorDeserializeTime();
            t.runMillis += m.executorRunTime();
            t.cpuNanos += m.executorCpuTime();
            t.gcMillis += m.jvmGCTime();
            t.resultSerializationMillis += m.resultSerializationTime();
            t.shuffleWriteNanos += m.shuffleWriteMetrics().writeTime();
            t.recordsRead += m.inputMetrics().recordsRead() + m.shuffleReadMetrics().recordsRead();
            t.recordsWritten += m.outputMetrics().recordsWritten() + m.shuffleWriteMetrics().recordsWritten();
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

    /** CPU time of every ended task (its executor thread: task code, native calls included), in milliseconds. */
    public long taskCpuMillis() {
        drain();
        synchronized (this) {
            return stageTimes.values().stream().mapToLong(t -> t.cpuNanos).sum() / 1_000_000;
        }
    }

    /** Wall time of each ended job, in end order, in milliseconds. */
    public List<Long> jobMillis() {
        drain();
        synchronized (this) {
            return List.copyOf(millis.values());
        }
    }

    /**
     * Where the time went, one line per completed stage (in completion order) and then the driver's share: stage wall
     * time, tasks, the tasks' summed run / CPU / deserialization / GC / result-serialization / shuffle-write times
     * and records read and written; then the time since {@link #attach} spent outside every job (planning, listing,
     * publishing on the driver). Shape: {@code "stage 3 (save at TokenizeStage.java:310): 412 ms wall, 2 tasks, run
     * 780 ms (cpu 700), deser 12, gc 30, ..."}.
     */
    public List<String> profile() {
        drain();
        synchronized (this) {
            List<String> out = new ArrayList<>();
            stageTimes.forEach((id, t) -> out.add(String.format(java.util.Locale.ROOT,
                    "stage %d (%s): %d ms wall, %d tasks, run %d ms (cpu %d), deser %d, gc %d, result ser %d,"
                            + " shuffle write %d; records in %d, out %d",
                    id, t.name, t.wallMillis, t.tasks, t.runMillis, t.cpuNanos / 1_000_000, t.deserializeMillis,
                    t.gcMillis, t.resultSerializationMillis, t.shuffleWriteNanos / 1_000_000, t.recordsRead,
                    t.recordsWritten)));
            long now = System.currentTimeMillis();
            long inJobs = 0;
            long lastEnd = attached;
            List<long[]> spans = new ArrayList<>(jobSpans);
            spans.sort(java.util.Comparator.comparingLong(s -> s[0]));
            List<Long> gaps = new ArrayList<>();
            for (long[] span : spans) {
                gaps.add(Math.max(0, span[0] - lastEnd));
                inJobs += span[1] - Math.max(span[0], lastEnd);
                lastEnd = Math.max(lastEnd, span[1]);
            }
            gaps.add(Math.max(0, now - lastEnd));
            out.add("driver: " + (now - attached) + " ms since attach, " + inJobs + " ms inside jobs, gaps before each"
                    + " job and after the last " + gaps + " ms");
            return out;
        }
    }

    /** Summed task metrics and wall time of one stage. */
    private static final class StageTimes {
        String name = "?";
        long wallMillis;
        int tasks;
        long runMillis;
        long cpuNanos;
        long deserializeMillis;
        long gcMillis;
        long resultSerializationMillis;
        long shuffleWriteNanos;
        long recordsRead;
        long recordsWritten;
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
