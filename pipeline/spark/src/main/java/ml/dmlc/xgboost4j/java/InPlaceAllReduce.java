package ml.dmlc.xgboost4j.java;

import java.nio.ByteBuffer;

/**
 * The xgboost communicator's all-reduce, in place on a direct buffer, with its return code.
 *
 * <p>Why this class sits in xgboost4j's package: the JNI entry point
 * {@code XGBoostJNI.CommunicatorAllreduce} is package-private, and the public
 * {@code Communicator.allReduce(float[], OpType)} drops its return code (after a peer died it returned
 * wrong sums without an error) and copies element by element into a fresh buffer on every call (8–15×
 * slower). It must be loaded by the same class loader as xgboost4j (one application jar, or both on the
 * class path), as package-private access requires. {@code InPlaceAllReduceTest} pins the signature and
 * the enum codes against the xgboost4j version in the pom.
 */
public final class InPlaceAllReduce {

    /** xgboost's data-type code for float32 ({@code Communicator.DataType.FLOAT32}). */
    public static final int FLOAT32 = Communicator.DataType.FLOAT32.getEnumOp();
    /** xgboost's data-type code for int64. */
    public static final int INT64 = Communicator.DataType.INT64.getEnumOp();
    /** xgboost's operation code for an element-wise sum. */
    public static final int SUM = Communicator.OpType.SUM.getOperand();

    private InPlaceAllReduce() {
    }

    /**
     * All-reduces the first {@code count} elements of {@code direct} (a direct buffer in native byte
     * order, elements of {@code dataType}) with {@code op}, in place. Must be called on the thread that
     * initialised the communicator. Returns 0 on success; otherwise {@link #lastError()} says why.
     */
    public static int allReduce(ByteBuffer direct, int count, int dataType, int op) {
        return XGBoostJNI.CommunicatorAllreduce(direct, count, dataType, op);
    }

    /** The native library's last error message on this thread. */
    public static String lastError() {
        return XGBoostJNI.XGBGetLastError();
    }
}
