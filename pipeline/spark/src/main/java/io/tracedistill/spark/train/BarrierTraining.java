package io.tracedistill.spark.train;

import io.tracedistill.train.Collective;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Runs data-parallel training as one Spark barrier stage of {@code worldSize} tasks, one per GPU
 * ({@code spark.task.resource.gpu.amount: 1}) or one per executor slot on CPU. Task r is rank r.
 *
 * <p>Each attempt, in every task, on the task's own thread (xgboost's communicator is per thread):
 * <ol>
 *   <li>partition 0 starts a tracker on its executor's host; its address reaches the other tasks
 *       through {@link BarrierTaskContext#allGather} (≥ 1 s, through the driver: used only for this).
 *       The tracker lives inside the stage attempt: one on the driver broke Spark's barrier-stage retry;</li>
 *   <li>every task joins the group ({@link XgboostCollective}) and runs the {@link RankBody};</li>
 *   <li>every task leaves the group, all pass a barrier, and partition 0 stops the tracker.</li>
 * </ol>
 * When a task fails (its peers then fail within {@code collective_timeout_s}, or at once when its
 * sockets close), the job fails and the driver starts a new attempt, up to {@code train_max_attempts};
 * the body is told the attempt number, so attempts after the first resume from the last checkpoint. A rank that
 * refuses to train ({@link Refusal}: the run's settings, which another attempt would not change) ends the run at once.
 */
public final class BarrierTraining {

    private static final Logger LOG = System.getLogger(BarrierTraining.class.getName());

    private BarrierTraining() {
    }

    /**
     * A rank's refusal to train: a failure of the run's settings or inputs that another attempt would repeat (a
     * resume over a finished phase whose settings changed, without {@code --force}), not a failure of the cluster.
     * A {@link RankBody} throws it around the failure; {@link #run} then throws that failure on the driver at once, with
     * its own message and type, instead of retrying up to {@code train_max_attempts}. The task returns it as its result
     * rather than failing: Spark hands a failed barrier task to the driver as text only (the job's message, no cause),
     * so a failed task could not be classified except by matching that text.
     */
    public static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** @param cause what the driver throws: serializable, as everything a task returns */
        public Refusal(RuntimeException cause) {
            super(cause.getMessage(), cause);
        }

        /** The refused failure, as the rank threw it. */
        public RuntimeException refused() {
            return (RuntimeException) getCause();
        }
    }

    /** What every rank runs after joining; rank 0's result is returned to the driver. */
    @FunctionalInterface
    public interface RankBody<R extends Serializable> extends Serializable {
        /** {@code attempt} is 1 for the first attempt of the stage. Runs on the task thread. */
        R run(Collective collective, int attempt) throws Exception;
    }

    /**
     * @param worldSize          ranks (barrier tasks)
     * @param collectiveTimeout  how long a rank waits for a peer in a collective call, and the tracker for the ranks
     * @param maxAttempts        stage attempts before giving up ({@code train_max_attempts})
     */
    public record Settings(int worldSize, Duration collectiveTimeout, int maxAttempts) implements Serializable {
        public Settings {
            if (worldSize < 1) {
                throw new IllegalArgumentException("world_size must be at least 1, got " + worldSize);
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("train_max_attempts must be at least 1, got " + maxAttempts);
            }
        }
    }

    /**
     * Runs {@code body} on {@code settings.worldSize()} barrier tasks and returns rank 0's result. Fails
     * fast, before any task starts, when the cluster has fewer free task slots than ranks, and after the first attempt
     * in which a rank refused ({@link Refusal}: its failure is thrown, not retried).
     */
    public static <R extends Serializable> R run(SparkSession spark, Settings settings, RankBody<R> body) {
        SparkContext sc = spark.sparkContext();
        checkSlots(sc, settings.worldSize());
        Exception last = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            try {
                return runAttempt(sc, settings, body, attempt);
            } catch (Refusal r) {
                LOG.log(Level.WARNING, String.format(Locale.ROOT, "train_on executors: attempt %d refused (not retried:"
                        + " another attempt would refuse alike): %s", attempt, r.getMessage()));
                throw r.refused();
            } catch (Exception e) { // a failed job: Spark throws SparkException without declaring it
                last = e;
                LOG.log(Level.WARNING, String.format(Locale.ROOT, "train_on executors: attempt %d of %d failed: %s%s",
                        attempt, settings.maxAttempts(), rootMessage(e),
                        attempt < settings.maxAttempts() ? "; retrying from the last checkpoint" : ""));
            }
        }
        throw new IllegalStateException("train_on: executors failed in all " + settings.maxAttempts()
                + " attempt(s) (train_max_attempts); last error: " + rootMessage(last), last);
    }

    private static <R extends Serializable> R runAttempt(SparkContext sc, Settings settings, RankBody<R> body, int attempt) {
        List<Integer> ranks = IntStream.range(0, settings.worldSize()).boxed().toList();
        var rdd = new JavaSparkContext(sc).parallelize(ranks, settings.worldSize()).rdd();
        sc.setJobDescription("train on executors: " + settings.worldSize() + " ranks, attempt " + attempt);
        try {
            Object collected = rdd.barrier().mapPartitions(new RankTask<>(settings, body, attempt), false,
                    ClassTag$.MODULE$.apply(RankResult.class)).collect();
            for (Object o : (Object[]) collected) { // in rank order: the lowest refusing rank's refusal is thrown
                RankResult<?> r = (RankResult<?>) o;
                if (r.refusal() != null) {
                    throw r.refusal();
                }
            }
            for (Object o : (Object[]) collected) {
                RankResult<?> r = (RankResult<?>) o;
                if (r.rank() == 0) {
                    @SuppressWarnings("unchecked")
                    R result = (R) r.result();
                    return result;
                }
            }
            throw new IllegalStateException("rank 0 returned no result");
        } finally {
            sc.setJobDescription(null);
        }
    }

    /** A rank's result tagged with its rank, or (result null) its refusal. */
    public record RankResult<R extends Serializable>(int rank, R result, Refusal refusal) implements Serializable {
    }

    /** The task function of the barrier stage (a Scala function: RDDBarrier has no Java API). */
    private static final class RankTask<R extends Serializable>
            extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<RankResult<R>>>
            implements Serializable {
        private final Settings settings;
        private final RankBody<R> body;
        private final int attempt;

        RankTask(Settings settings, RankBody<R> body, int attempt) {
            this.settings = settings;
            this.body = body;
            this.attempt = attempt;
        }

        @Override
        public scala.collection.Iterator<RankResult<R>> apply(scala.collection.Iterator<Integer> partition) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId();
            XgboostCollective.Tracker tracker = null;
            // Where each rank runs (an operator's first question after a failure; the cluster test finds ranks by it).
            LOG.log(Level.INFO, String.format(Locale.ROOT, "rank %d of %d (attempt %d) on executor %s, host %s, pid %d", rank,
                    settings.worldSize(), attempt, SparkEnv.get().executorId(), SparkEnv.get().blockManager().blockManagerId().host(),
                    ProcessHandle.current().pid()));
            try {
                // 1. Partition 0 starts the tracker; everyone learns its address (an error is shared too,
                //    so no task waits for an address that never comes).
                String mine = "";
                if (rank == 0) {
                    try {
                        String host = SparkEnv.get().blockManager().blockManagerId().host();
                        tracker = XgboostCollective.Tracker.start(host, settings.worldSize(), settings.collectiveTimeout());
                        mine = tracker.address().toString();
                    } catch (RuntimeException e) {
                        mine = "ERROR " + e.getMessage();
                    }
                }
                String address = ctx.allGather(mine)[0];
                if (address.startsWith("ERROR ")) {
                    throw new IllegalStateException("rank " + rank + ": partition 0 could not start the tracker: " + address.substring(6));
                }
                // 2. Join and run the body on this thread. A refusal is this task's result, not its failure (every rank
                //    refuses alike: they read the same checkpoint and config).
                R result = null;
                Refusal refusal = null;
                try (XgboostCollective collective = XgboostCollective.join(XgboostCollective.TrackerAddress.parse(address), rank,
                        settings.collectiveTimeout())) {
                    result = body.run(collective, attempt);
                } catch (Refusal r) {
                    refusal = r;
                }
                // 3. Everyone has left the group before the tracker stops.
                ctx.barrier();
                List<RankResult<R>> out = new ArrayList<>(1);
                out.add(new RankResult<>(rank, result, refusal));
                return scala.collection.JavaConverters.asScalaIteratorConverter(out.iterator()).asScala();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("rank " + rank + " (attempt " + attempt + "): " + e.getMessage(), e);
            } finally {
                if (tracker != null) {
                    tracker.close();
                }
            }
        }
    }

    /**
     * A barrier stage needs all its tasks running at once; Spark itself would retry the scheduling for
     * minutes (40 checks, 15 s apart) before failing. Free slots: what Spark's own barrier check counts
     * ({@code maxNumConcurrentTasks} of the default resource profile: executor cores / {@code spark.task.cpus},
     * bounded by GPUs / {@code spark.task.resource.gpu.amount}; N of {@code local[N]}). On a cluster the
     * executors of a just-started application register over some seconds, so this waits up to
     * {@code spark.scheduler.maxRegisteredResourcesWaitingTime} (Spark's own setting, 30 s) for enough of them.
     */
    static void checkSlots(SparkContext sc, int worldSize) {
        long waitMs = sc.isLocal() ? 0 : sc.getConf().getTimeAsMs("spark.scheduler.maxRegisteredResourcesWaitingTime", "30s");
        long deadline = System.nanoTime() + waitMs * 1_000_000L;
        int slots = slots(sc);
        int logged = -1;
        while (slots < worldSize && System.nanoTime() < deadline) {
            if (slots != logged) {
                LOG.log(Level.INFO, String.format(Locale.ROOT, "train_on executors: %d of %d task slots registered; waiting up to %d s for executors",
                        slots, worldSize, waitMs / 1000));
                logged = slots;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            slots = slots(sc);
        }
        if (worldSize > slots) {
            int taskCpus = Integer.parseInt(sc.getConf().get("spark.task.cpus", "1"));
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "Invalid value %d for world_size with train_on: executors: the cluster has %d task slot(s) (spark.task.cpus %d%s)"
                            + " and a barrier stage needs all %d tasks at once; lower world_size to at most %d or add executors",
                    worldSize, slots, taskCpus, waitMs > 0 ? String.format(Locale.ROOT, ", after waiting %d s for executors", waitMs / 1000) : "",
                    worldSize, slots));
        }
    }

    /** Tasks the cluster can run at once now: Spark's own count for its barrier check. */
    private static int slots(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }

    /**
     * The first line of a failed job's message plus the task's own exception line: Spark puts the
     * task's stack trace into the message text, not into the cause chain.
     */
    private static String rootMessage(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getName() : e.getMessage().strip();
        String[] lines = m.split("\n");
        String head = lines[0];
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i].strip();
            if (!l.startsWith("at ") && (l.contains("Exception: ") || l.contains("Error: "))) {
                return head + " (" + l + ")";
            }
        }
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? head : head + " (cause: " + t + ")";
    }
}
