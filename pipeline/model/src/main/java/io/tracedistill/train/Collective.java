package io.tracedistill.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The group of data-parallel ranks one trainer belongs to, and the one operation data parallelism
 * needs from it: an element-wise sum over every rank, left in place on every rank.
 *
 * <p>Rank r of W holds its own LoRA replica and runs micro-batches {@code m ≡ r (mod W)} of each
 * optimizer step; before the update the ranks sum their label-token counts (INT64, exact) and their
 * gradients (float32), so every rank clips and applies AdamW to the same numbers and the replicas stay
 * identical. Implementations: {@link InProcessCollective} (ranks on threads of one JVM; the single-rank
 * case is {@code train_on: driver}) and the xgboost communicator over TCP between Spark executors
 * ({@code io.tracedistill.spark.train.XgboostCollective}). A GPU-to-GPU implementation (NCCL) would be
 * a third.
 *
 * <p>Every rank must make the same calls, with the same lengths, in the same order. A call fails with
 * {@link CollectiveException} (never a partial or wrong sum) when a peer died, hung past the timeout or
 * left the group; the collective is then unusable and must be closed.
 */
public interface Collective extends AutoCloseable {

    /** This rank, {@code 0 <= rank < worldSize}. */
    int rank();

    /** W, the number of ranks. */
    int worldSize();

    /** Replaces {@code values} on every rank by the element-wise sum of every rank's {@code values}. */
    void allReduceSum(float[] values);

    /**
     * Replaces the float32 values of {@code values} from its position to its limit (a direct buffer in native byte
     * order; the position is left as it was) on every rank by their element-wise sum, in place. A collective over the
     * network sums the buffer itself; this default copies through a {@code float[]}.
     */
    default void allReduceSumFloat32(ByteBuffer values) {
        FloatBuffer f = values.slice().order(ByteOrder.nativeOrder()).asFloatBuffer();
        float[] a = new float[f.remaining()];
        f.get(0, a);
        allReduceSum(a);
        f.put(0, a);
    }

    /** Replaces {@code values} on every rank by the element-wise sum (INT64, exact; wraps past 2^63). */
    void allReduceSum(long[] values);

    /** The sum of {@code value} over every rank (INT64: a token count stays exact above 2^24). */
    default long allReduceSum(long value) {
        long[] one = {value};
        allReduceSum(one);
        return one[0];
    }

    /**
     * Every rank's {@code value}, indexed by rank: a sum of vectors that are zero except at their own
     * rank's slot, so it is exact whatever the values (used to compare the ranks' weight checksums).
     */
    default long[] allGather(long value) {
        long[] slots = new long[worldSize()];
        slots[rank()] = value;
        allReduceSum(slots);
        return slots;
    }

    /** Leaves the group (idempotent); peers still waiting in a call then fail. */
    @Override
    void close();
}
