package io.tracedistill.train;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * W ranks in one JVM, one thread each: an all-reduce is two barrier trips. Each rank posts its array,
 * every rank sums all posted arrays in rank order (0, 1, …, W-1, so every rank gets bit-identical
 * sums), and after the second trip each copies the sum into its own array. The single-rank group
 * ({@link #single()}) is the {@code train_on: driver} case and does nothing at all.
 *
 * <p>A rank that closes or stops calling breaks the barrier: its peers fail within {@code timeout}
 * with {@link CollectiveException}, never with a partial sum.
 */
public final class InProcessCollective implements Collective {

    /** State shared by the ranks of one group. */
    private static final class Group {
        final int worldSize;
        final Duration timeout;
        final CyclicBarrier barrier;
        final Object[] posted;
        volatile String brokenBy;

        Group(int worldSize, Duration timeout) {
            this.worldSize = worldSize;
            this.timeout = timeout;
            this.barrier = new CyclicBarrier(worldSize);
            this.posted = new Object[worldSize];
        }
    }

    private final Group group;
    private final int rank;
    private boolean closed;

    private InProcessCollective(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /** The one-rank group: every all-reduce leaves its input as it is. */
    public static Collective single() {
        return group(1, Duration.ofSeconds(1)).get(0);
    }

    /**
     * A group of {@code worldSize} ranks; element r is rank r and must be used from one thread, the
     * others from their own threads. A rank waits at most {@code timeout} for its peers in each call.
     */
    public static List<Collective> group(int worldSize, Duration timeout) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size must be at least 1, got " + worldSize);
        }
        Group g = new Group(worldSize, timeout);
        List<Collective> ranks = new ArrayList<>(worldSize);
        for (int r = 0; r < worldSize; r++) {
            ranks.add(new InProcessCollective(g, r));
        }
        return List.copyOf(ranks);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return group.worldSize;
    }

    @Override
    public void allReduceSum(float[] values) {
        checkOpen();
        if (group.worldSize == 1) {
            return;
        }
        group.posted[rank] = values;
        trip("post");
        float[] sum = new float[values.length];
        for (int r = 0; r < group.worldSize; r++) {
            float[] other = (float[]) sameLength(r, values.length, group.posted[r] instanceof float[] f ? f.length : -1);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += other[i];
            }
        }
        trip("sum");
        System.arraycopy(sum, 0, values, 0, sum.length);
    }

    @Override
    public void allReduceSum(long[] values) {
        checkOpen();
        if (group.worldSize == 1) {
            return;
        }
        group.posted[rank] = values;
        trip("post");
        long[] sum = new long[values.length];
        for (int r = 0; r < group.worldSize; r++) {
            long[] other = (long[]) sameLength(r, values.length, group.posted[r] instanceof long[] l ? l.length : -1);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += other[i];
            }
        }
        trip("sum");
        System.arraycopy(sum, 0, values, 0, sum.length);
    }

    /** Ranks must post arrays of one type and length; a mismatch is a bug in the caller, seen by every rank. */
    private Object sameLength(int other, int mine, int theirs) {
        if (theirs != mine) {
            String why = theirs < 0 ? "an array of another type" : "length " + theirs;
            throw new CollectiveException("rank " + rank + " all-reduces length " + mine + " but rank " + other
                    + " posted " + why + "; every rank must make the same calls in the same order");
        }
        return group.posted[other];
    }

    private void trip(String stage) {
        try {
            group.barrier.await(group.timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            group.brokenBy = "a peer did not arrive within " + group.timeout.toSeconds() + " s";
            throw new CollectiveException("rank " + rank + " of " + group.worldSize + " (" + stage + "): "
                    + group.brokenBy, e);
        } catch (BrokenBarrierException e) {
            String why = group.brokenBy == null ? "a peer failed" : group.brokenBy;
            throw new CollectiveException("rank " + rank + " of " + group.worldSize + " (" + stage + "): " + why, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.brokenBy = "rank " + rank + " was interrupted";
            group.barrier.reset();
            throw new CollectiveException("rank " + rank + " of " + group.worldSize + " (" + stage + "): interrupted", e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new CollectiveException("rank " + rank + " of " + group.worldSize + " is closed");
        }
        if (group.brokenBy != null) {
            throw new CollectiveException("rank " + rank + " of " + group.worldSize + ": the group is broken ("
                    + group.brokenBy + "); close it and start a new one");
        }
    }

    /** Leaves the group: peers waiting now, or arriving later, fail. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (group.worldSize > 1) {
            group.brokenBy = "rank " + rank + " left the group";
            group.barrier.reset();
        }
    }
}
