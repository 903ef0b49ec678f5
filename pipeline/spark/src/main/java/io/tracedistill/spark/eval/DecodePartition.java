package io.tracedistill.spark.eval;

import ai.djl.Device;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.eval.EncodedPrompt;
import io.tracedistill.eval.EvalBatch;
import io.tracedistill.eval.EvalDevice;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.eval.EvalSettings;
import io.tracedistill.eval.LocalEval;
import io.tracedistill.eval.Prediction;
import io.tracedistill.eval.SkipReason;
import io.tracedistill.spark.ModelFolders;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;

/**
 * Eval step 3, on the executors: one partition holds whole decode batches (the driver's {@link EvalPlan} put every
 * row of a batch in the same partition). Each batch is rebuilt in {@link io.tracedistill.eval.BatchPlan#IN_BATCH_ORDER}
 * and decoded under every arm with the per-JVM cached models, exactly as {@link LocalEval} does in one process;
 * rows that are not decoded get their not-decoded prediction per arm. Output rows are keyed by the stable row index
 * and sorted later, so the table does not depend on partitioning.
 */
final class DecodePartition implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;

    private final EvalSettings settings;
    private final Broadcast<EvalPlan> plan;
    private final int[] passthroughIdx; // indices into the staged row

    DecodePartition(EvalSettings settings, Broadcast<EvalPlan> plan, int[] passthroughIdx) {
        this.settings = settings;
        this.plan = plan;
        this.passthroughIdx = passthroughIdx;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Map<Long, long[]> assignment = plan.value().assignment();
        TreeMap<Integer, List<EncodedPrompt>> byBatch = new TreeMap<>();
        List<EncodedPrompt> skipped = new ArrayList<>();
        Map<Long, Object[]> passthrough = new HashMap<>();
        while (rows.hasNext()) {
            Row r = rows.next();
            long[] a = assignment.get(EvalPlan.key(r.getInt(0), r.getLong(1)));
            if (a == null) {
                throw new IllegalStateException("Staged eval row (partition " + r.getInt(0) + ", position "
                        + r.getLong(1) + ") has no row index: the staged data changed between planning and decoding");
            }
            // The user turn is not needed any more: the prompt ids were computed in step 1.
            EvalExample ex = new EvalExample(a[0], r.getString(3), r.getString(4), "");
            List<Integer> idList = r.getList(5);
            int[] ids = new int[idList.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = idList.get(i);
            }
            Object[] pass = new Object[passthroughIdx.length];
            for (int i = 0; i < pass.length; i++) {
                pass[i] = r.get(passthroughIdx[i]);
            }
            passthrough.put(a[0], pass);
            if (r.isNullAt(7)) {
                byBatch.computeIfAbsent((int) a[1], k -> new ArrayList<>()).add(EncodedPrompt.decodable(ex, ids));
            } else {
                skipped.add(EncodedPrompt.skipped(ex, SkipReason.fromCode(r.getString(7)), r.getString(8),
                        r.getInt(6)));
            }
        }
        List<EvalBatch> batches = new ArrayList<>();
        byBatch.forEach((id, prompts) -> batches.add(new EvalBatch(id, prompts)));
        List<Row> out = new ArrayList<>();
        Device device = EvalDevice.resolve(settings.device(), assignedGpus());
        if (Device.Type.CPU.equals(device.getDeviceType()) && !batches.isEmpty()) {
            useTaskCpus();
        }
        EvalSettings onThisNode = ModelFolders.local(ModelFolders.taskConf(), settings); // s3a:// etc.: a local copy
        for (ArmSpec arm : onThisNode.arms()) {
            List<Prediction> ps = new ArrayList<>(LocalEval.decodeBatches(batches, arm, onThisNode, device));
            for (EncodedPrompt p : skipped) {
                ps.add(Prediction.notDecoded(p, arm.name()));
            }
            for (Prediction p : ps) {
                out.add(PredictionRows.toRow(p, passthrough.get(p.rowIndex())));
            }
        }
        return out.iterator();
    }

    /**
     * Decodes on as many PyTorch intra-op threads as Spark gave this task ({@code spark.task.cpus}, default 1). The
     * default was one thread per core in every task, so {@code local[2]} ran 2 tasks x 2 OpenMP threads on 2 cores;
     * their spin-waiting made the per-token ops of greedy decoding slower than one task alone (bench-eval). The
     * count is an OpenMP/MKL setting of the calling (task) thread; libtorch also keeps it as the default of threads
     * that first use PyTorch later, while threads already running keep their own (a driver that decoded or trained
     * before keeps its count).
     */
    private static void useTaskCpus() {
        TaskContext tc = TaskContext.get();
        int cpus = tc == null ? 1 : Math.max(1, tc.cpus());
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library JniUtils calls into
        ai.djl.pytorch.jni.JniUtils.setNumThreads(cpus);
    }

    /** The GPU addresses Spark assigned to this task ({@code spark.task.resource.gpu.amount}); empty without GPU scheduling. */
    private static List<String> assignedGpus() {
        TaskContext tc = TaskContext.get();
        if (tc == null) {
            return List.of();
        }
        scala.Option<ResourceInformation> gpu = tc.resources().get("gpu");
        return gpu.isDefined() ? List.of(gpu.get().addresses()) : List.of();
    }
}
