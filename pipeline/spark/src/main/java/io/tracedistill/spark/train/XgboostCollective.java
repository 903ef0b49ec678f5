package io.tracedistill.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.train.Collective;
import io.tracedistill.train.CollectiveException;
import ml.dmlc.xgboost4j.java.InPlaceAllReduce;
import ml.dmlc.xgboost4j.java.XGBoostJNI;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One rank of a group joined through xgboost's rabit communicator (TCP, ring/tree all-reduce), the
 * communicator xgboost4j-spark uses in barrier mode.
 *
 * <p>Traps this class designs around (each measured on xgboost4j 3.4.0):
 * <ul>
 *   <li>The communicator is per thread: a call from another thread than the one that joined silently
 *       does nothing. Every method checks the thread and throws instead.</li>
 *   <li>The all-reduce runs in place on one reused direct buffer and its return code is checked
 *       ({@link InPlaceAllReduce}); a failed call throws {@link CollectiveException}, never returns a
 *       wrong sum, and the group is then unusable.</li>
 *   <li>Calls carry at most {@link #MAX_FLOATS_PER_CALL} float32 values (4 MiB); larger arrays go in
 *       chunks (50M floats on 2 workers: 1,191 ms in one call, 243 ms in 8M chunks; two idle runs of
 *       {@code bench-train-distributed --sweep}: 1M-float chunks 1,530–1,893 MB/s at 8–128 MB against
 *       1,035–1,485 MB/s for 8M).</li>
 *   <li>What limits a 2-rank all-reduce (xgboost 3.4.0's {@code src/collective}): the CPU all-reduce is always its ring,
 *       and xgboost4j exposes no algorithm, socket-buffer or thread option. Its ring all-gather runs W rounds, not
 *       W − 1, so with 2 ranks each sends 1.5 N bytes for N summed, in 3 exchanges, each ended by a hand-off between
 *       the calling thread and xgboost's socket loop thread ({@code lw}). At the training step's ~2 MB that makes the
 *       call latency-bound (1.5 ms alone on loopback, idle); splitting it into several calls was slower.</li>
 *   <li>{@code dmlc_timeout} defaults to 1,800 s; a frozen peer would block the others that long.
 *       {@code timeout} here bounds it (config {@code collective_timeout_s}).</li>
 * </ul>
 * Workers listen on all interfaces without authentication: the cluster network must be private.
 */
public final class XgboostCollective implements Collective {

    /** Largest chunk of one native all-reduce call, in float32 values (1M = 4 MiB). */
    public static final int MAX_FLOATS_PER_CALL = 1 << 20;
    private static final int MAX_BYTES_PER_CALL = MAX_FLOATS_PER_CALL * Float.BYTES;

    /** Where the workers find the tracker: handed from partition 0's task to the others. */
    public record TrackerAddress(String host, int port) implements Serializable {
        /** {@code host:port}, the form handed through {@code BarrierTaskContext.allGather}. */
        @Override
        public String toString() {
            return host + ":" + port;
        }

        /** Parses {@link #toString()}. */
        public static TrackerAddress parse(String hostPort) {
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("tracker address must be host:port, got '" + hostPort + "'");
            }
            return new TrackerAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        }
    }

    /**
     * The rendezvous point: workers connect to it to learn their rank and their ring neighbours. Started
     * once per group (per barrier stage attempt, inside partition 0's task: a tracker on the driver broke
     * Spark's barrier-stage retry). Ranks are assigned by task id, so rank = Spark partition id.
     */
    public static final class Tracker implements AutoCloseable {
        private final long handle;
        private final TrackerAddress address;
        private boolean closed;

        private Tracker(long handle, TrackerAddress address) {
            this.handle = handle;
            this.address = address;
        }

        /** Starts a tracker for {@code worldSize} workers, listening on {@code host} (an ephemeral port). */
        public static Tracker start(String host, int worldSize, Duration timeout) {
            if (worldSize < 1) {
                throw new IllegalArgumentException("world size must be at least 1, got " + worldSize);
            }
            long[] out = new long[1];
            int sortByTask = 1; // 0 = by host name, 1 = by dmlc_task_id
            check(XGBoostJNI.TrackerCreate(host, worldSize, 0, sortByTask, timeout.toSeconds(), out), "create the tracker on " + host);
            long handle = out[0];
            try {
                check(XGBoostJNI.TrackerRun(handle), "start the tracker on " + host);
                String[] args = new String[1];
                check(XGBoostJNI.TrackerWorkerArgs(handle, 0, args), "read the tracker's worker arguments");
                Map<?, ?> json = new ObjectMapper().readValue(args[0], Map.class);
                TrackerAddress address = new TrackerAddress(String.valueOf(json.get("dmlc_tracker_uri")),
                        ((Number) json.get("dmlc_tracker_port")).intValue());
                return new Tracker(handle, address);
            } catch (RuntimeException | java.io.IOException e) {
                XGBoostJNI.TrackerFree(handle);
                throw e instanceof RuntimeException re ? re : new CollectiveException("tracker: " + e.getMessage(), e);
            }
        }

        public TrackerAddress address() {
            return address;
        }

        /** Stops the tracker and frees it (after the workers closed, or after a failure). */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                XGBoostJNI.TrackerFree(handle);
            }
        }
    }

    private final Thread owner;
    private final int rank;
    private final int worldSize;
    /** Reused for every call, sized to the largest chunk seen (at most MAX_BYTES_PER_CALL). */
    private ByteBuffer buffer;
    private String broken;
    private boolean closed;

    private XgboostCollective(Thread owner, int rank, int worldSize) {
        this.owner = owner;
        this.rank = rank;
        this.worldSize = worldSize;
    }

    /**
     * Joins the group of the tracker at {@code tracker} as task {@code taskId} (its rank: ranks follow
     * task ids), blocking until every worker has joined. Every later call must be made on this thread.
     * {@code timeout} bounds how long any call waits for a peer (dmlc_timeout).
     */
    public static XgboostCollective join(TrackerAddress tracker, int taskId, Duration timeout) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("dmlc_communicator", "rabit");
        config.put("dmlc_tracker_uri", tracker.host());
        config.put("dmlc_tracker_port", tracker.port());
        config.put("dmlc_task_id", String.format(Locale.ROOT, "%08d", taskId)); // sorted as text: pad
        config.put("dmlc_timeout", Math.max(1, timeout.toSeconds()));
        String json;
        try {
            json = new ObjectMapper().writeValueAsString(config);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        check(XGBoostJNI.CommunicatorInit(json), "join the group of tracker " + tracker + " as task " + taskId);
        int[] out = new int[1];
        check(XGBoostJNI.CommunicatorGetRank(out), "read this worker's rank");
        int rank = out[0];
        check(XGBoostJNI.CommunicatorGetWorldSize(out), "read the world size");
        return new XgboostCollective(Thread.currentThread(), rank, out[0]);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    @Override
    public void allReduceSum(float[] values) {
        checkUsable();
        for (int off = 0; off < values.length; off += MAX_FLOATS_PER_CALL) {
            int n = Math.min(MAX_FLOATS_PER_CALL, values.length - off);
            ByteBuffer b = buffer(n * Float.BYTES);
            b.asFloatBuffer().put(values, off, n);
            call(b, n, InPlaceAllReduce.FLOAT32, off, values.length);
            b.asFloatBuffer().get(values, off, n);
        }
    }

    /** In place on {@code values} itself, in calls of at most {@link #MAX_FLOATS_PER_CALL}: no copy. */
    @Override
    public void allReduceSumFloat32(ByteBuffer values) {
        checkUsable();
        if (!values.isDirect() || values.order() != ByteOrder.nativeOrder() || values.position() % Float.BYTES != 0
                || values.remaining() % Float.BYTES != 0) {
            throw new IllegalArgumentException("allReduceSumFloat32 needs a direct buffer in native byte order holding whole"
                    + " float32 values, got " + values + (values.isDirect() ? ", order " + values.order() : " (not direct)"));
        }
        int total = values.remaining() / Float.BYTES;
        for (int off = 0; off < total; off += MAX_FLOATS_PER_CALL) {
            int n = Math.min(MAX_FLOATS_PER_CALL, total - off);
            call(values.slice(values.position() + off * Float.BYTES, n * Float.BYTES), n, InPlaceAllReduce.FLOAT32, off, total);
        }
    }

    @Override
    public void allReduceSum(long[] values) {
        checkUsable();
        int perCall = MAX_BYTES_PER_CALL / Long.BYTES;
        for (int off = 0; off < values.length; off += perCall) {
            int n = Math.min(perCall, values.length - off);
            ByteBuffer b = buffer(n * Long.BYTES);
            b.asLongBuffer().put(values, off, n);
            call(b, n, InPlaceAllReduce.INT64, off, values.length);
            b.asLongBuffer().get(values, off, n);
        }
    }

    private void call(ByteBuffer b, int n, int dataType, int offset, int total) {
        int rc = InPlaceAllReduce.allReduce(b, n, dataType, InPlaceAllReduce.SUM);
        if (rc != 0) {
            broken = InPlaceAllReduce.lastError();
            throw new CollectiveException(String.format(Locale.ROOT,
                    "rank %d of %d: all-reduce of elements %d..%d of %d failed (a peer died, hung past the timeout, or left): %s",
                    rank, worldSize, offset, offset + n - 1, total, broken));
        }
    }

    private ByteBuffer buffer(int bytes) {
        if (buffer == null || buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        buffer.clear();
        return buffer;
    }

    private void checkUsable() {
        checkThread("all-reduce");
        if (closed) {
            throw new CollectiveException("rank " + rank + " of " + worldSize + " is closed");
        }
        if (broken != null) {
            throw new CollectiveException("rank " + rank + " of " + worldSize + ": an earlier call failed (" + broken
                    + "); close this rank and join a new group");
        }
    }

    private void checkThread(String what) {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("xgboost's communicator is per thread: " + what + " on thread '"
                    + Thread.currentThread().getName() + "' but rank " + rank + " joined on thread '" + owner.getName()
                    + "' (from another thread the native call would silently do nothing)");
        }
    }

    /** Leaves the group (finalize) on the joining thread, so this thread can join another group later. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        checkThread("close");
        closed = true;
        buffer = null;
        int rc = XGBoostJNI.CommunicatorFinalize();
        if (rc != 0 && broken == null) {
            throw new CollectiveException("rank " + rank + " of " + worldSize + ": leaving the group failed: " + InPlaceAllReduce.lastError());
        }
    }

    private static void check(int rc, String what) {
        if (rc != 0) {
            throw new CollectiveException("xgboost communicator: could not " + what + ": " + InPlaceAllReduce.lastError());
        }
    }
}
