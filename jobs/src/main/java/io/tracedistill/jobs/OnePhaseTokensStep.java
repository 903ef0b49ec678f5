package io.tracedistill.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.order.StratifiedOrder;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.Manifests;
import io.tracedistill.spark.ShardFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The token set of a one-phase experiment arm ({@code trace_1phase}, {@code answer_only}): every training row exactly
 * once, from a two-phase token set, without tokenizing anything again.
 *
 * <p>The two-phase split puts every row in phase 1 except the easy rows reserved for phase 2, and every hard row in
 * both phases ({@link io.tracedistill.split.TwoPhaseSplit}). So the training rows are phase 1's rows plus phase 2's
 * rows of the types not in {@code hard_types}: each input row the contract and tokenize kept, once. They are put in
 * one type-stratified order ({@link StratifiedOrder}, phase-1 effective batch, {@code seed}) over that list (phase 1 in
 * its order, then phase 2's easy rows in theirs), as prepare orders a phase, and written as {@code tokens/phase1}
 * of the target folder. The held-out slice's tokens ({@code tokens/heldout}) are copied from the shared data, so
 * every arm measures its held-out loss on the same tokens; {@code prepared/manifest.json} is the shared one (the
 * train report reads the held-out counts from it). {@code tokens/manifest.json} is the source's plus a
 * {@code one_phase} entry, written last.
 */
final class OnePhaseTokensStep implements Step {
    /** The manifest entry describing the one-phase set. */
    static final String ONE_PHASE = "one_phase";
    private static final String SLICE = "_td_slice";
    private static final String NEW_POSITION = "_td_new_position";

    private final Function<JobContext, OutputLayout> rowsFrom;
    private final Function<JobContext, OutputLayout> heldOutFrom;
    private final Function<JobContext, OutputLayout> target;

    /**
     * @param rowsFrom    the folder whose {@code tokens/phase1} and {@code tokens/phase2} hold the two-phase rows
     * @param heldOutFrom the folder whose {@code tokens/heldout} and {@code prepared/manifest.json} are shared
     * @param target      where {@code tokens/phase1}, {@code tokens/heldout} and the manifests go
     */
    OnePhaseTokensStep(Function<JobContext, OutputLayout> rowsFrom, Function<JobContext, OutputLayout> heldOutFrom,
            Function<JobContext, OutputLayout> target) {
        this.rowsFrom = rowsFrom;
        this.heldOutFrom = heldOutFrom;
        this.target = target;
    }

    /**
     * What the one-phase order depends on.
     *
     * @param hardTypes      {@code hard_types}: phase 2's rows of these types are phase 1's again
     * @param effectiveBatch phase 1's effective batch (the stratified order's block)
     * @param seed           {@code seed}
     * @param shardFormat    {@code shard_format}
     */
    record Settings(List<String> hardTypes, int effectiveBatch, BigInteger seed, ShardFormat shardFormat) {}

    @Override
    public String name() {
        return "one_phase_tokens";
    }

    @Override
    public Settings settings(JobContext ctx) {
        return new Settings(ctx.cfg().data().hardTypes(), ctx.cfg().train().effectiveBatch(Phase.PHASE1),
                BigInteger.valueOf(ctx.cfg().seed()), ctx.cfg().output().shardFormat());
    }

    @Override
    public Map<String, String> inputFiles(JobContext ctx) {
        Map<String, String> files = new TreeMap<>();
        files.put("two_phase_tokens_manifest", ctx.files().sha256(rowsFrom.apply(ctx).tokensManifest()));
        files.put("heldout_tokens_manifest", ctx.files().sha256(heldOutFrom.apply(ctx).tokensManifest()));
        files.put("prepared_manifest", ctx.files().sha256(heldOutFrom.apply(ctx).preparedManifest()));
        return files;
    }

    @Override
    public RunPath marker(JobContext ctx) {
        return target.apply(ctx).tokensManifest();
    }

    @Override
    public String run(JobContext ctx) {
        SparkSession spark = ctx.spark();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Settings s = settings(ctx);
        OutputLayout from = rowsFrom.apply(ctx);
        OutputLayout shared = heldOutFrom.apply(ctx);
        OutputLayout to = target.apply(ctx);
        for (RunPath m : List.of(from.tokensManifest(), shared.tokensManifest(), shared.preparedManifest())) {
            if (!ctx.files().isFile(m)) {
                throw new IllegalStateException("No " + m + ": the shared prepare/tokenize steps have not completed;"
                        + " run tracedistill experiment again (it runs them first)");
            }
        }
        Manifests.delete(conf, to.tokensManifest().uri());
        String format = s.shardFormat().sparkSource();
        Dataset<Row> phase1 = spark.read().format(format).load(from.tokens(Phase.PHASE1).uri());
        Dataset<Row> phase2Easy = spark.read().format(format).load(from.tokens(Phase.PHASE2).uri())
                .filter(col(Columns.TYPE).isin(s.hardTypes().toArray()).unary_$bang());

        // Driver: positions and types of both lists (two small columns), the one stratified order over them.
        List<Row> rows1 = phase1.select(Columns.POSITION, Columns.TYPE).orderBy(Columns.POSITION).collectAsList();
        List<Row> rows2 = phase2Easy.select(Columns.POSITION, Columns.TYPE).orderBy(Columns.POSITION).collectAsList();
        List<String> types = new ArrayList<>(rows1.size() + rows2.size());
        rows1.forEach(r -> types.add(r.getString(1)));
        rows2.forEach(r -> types.add(r.getString(1)));
        int[] order = StratifiedOrder.indexOrder(types, s.effectiveBatch(), s.seed());
        long[] newPosition = new long[order.length];
        for (int k = 0; k < order.length; k++) {
            newPosition[order[k]] = k;
        }
        List<Row> mapping = new ArrayList<>(order.length);
        for (int i = 0; i < order.length; i++) {
            boolean first = i < rows1.size();
            Row r = first ? rows1.get(i) : rows2.get(i - rows1.size());
            mapping.add(RowFactory.create(first ? 1 : 2, r.getLong(0), newPosition[i]));
        }
        StructType mappingSchema = new StructType()
                .add(SLICE, DataTypes.IntegerType, false)
                .add(Columns.POSITION, DataTypes.LongType, false)
                .add(NEW_POSITION, DataTypes.LongType, false);
        Dataset<Row> positions = spark.createDataFrame(mapping, mappingSchema);

        // Every token column as it is, the new position in place of the old one.
        Dataset<Row> t = phase1.withColumn(SLICE, lit(1)).unionByName(phase2Easy.withColumn(SLICE, lit(2)));
        Dataset<Row> m = org.apache.spark.sql.functions.broadcast(positions);
        List<Column> columns = new ArrayList<>();
        for (String c : phase1.columns()) {
            columns.add(c.equals(Columns.POSITION) ? m.col(NEW_POSITION).as(Columns.POSITION) : t.col(quoted(c)));
        }
        Dataset<Row> all = t.join(m, t.col(SLICE).equalTo(m.col(SLICE)).and(t.col(Columns.POSITION).equalTo(m.col(Columns.POSITION))))
                .select(columns.toArray(new Column[0]))
                .orderBy(Columns.POSITION);

        String tokensDir = to.tokens().uri();
        String tmp = ShardFiles.stagingDir(tokensDir);
        try {
            all.write().format(format).save(tmp + "/" + Phase.PHASE1.folderName());
            ShardFiles.deleteIfExists(conf, to.tokens(Phase.PHASE1).uri());
            List<String> files = ShardFiles.names(ShardFiles.publish(conf, tmp + "/" + Phase.PHASE1.folderName(),
                    to.tokens(Phase.PHASE1).uri(), s.shardFormat()));
            ShardFiles.deleteIfExists(conf, tmp);
            ShardFiles.deleteIfExists(conf, to.tokensHeldOut().uri());
            boolean heldOut = ctx.files().isDirectory(shared.tokensHeldOut());
            if (heldOut) {
                copy(conf, shared.tokensHeldOut().uri(), to.tokensHeldOut().uri());
            }
            if (!shared.preparedManifest().equals(to.preparedManifest())) {
                ctx.files().writeAtomically(to.preparedManifest(), ctx.files().read(shared.preparedManifest()));
            }
            ObjectNode manifest = (ObjectNode) Manifests.read(conf, from.tokensManifest().uri()).deepCopy();
            if (!from.tokensManifest().equals(shared.tokensManifest())) {
                manifest.remove(OutputLayout.HELD_OUT);
                var sharedHeldOut = Manifests.read(conf, shared.tokensManifest().uri()).get(OutputLayout.HELD_OUT);
                if (sharedHeldOut != null) {
                    manifest.set(OutputLayout.HELD_OUT, sharedHeldOut);
                }
            }
            ObjectNode one = manifest.putObject(ONE_PHASE);
            one.put("rows", order.length);
            one.put("from_phase1", rows1.size());
            one.put("from_phase2_easy", rows2.size());
            one.put("source", from.tokens().uri());
            one.put("effective_batch", s.effectiveBatch());
            one.put("order", "type-stratified order (seed, phase-1 effective batch) over phase 1's rows, then phase 2's"
                    + " rows of types not in hard_types (hard rows are in both phases of the split)");
            one.putPOJO("files", files);
            Manifests.writeAtomically(conf, to.tokensManifest().uri(), manifest);
            return String.format("one phase: %,d rows = %,d phase-1 rows + %,d phase-2 rows of easy types, from %s%s",
                    order.length, rows1.size(), rows2.size(), from.tokens().uri(),
                    heldOut ? "; held-out tokens copied from " + shared.tokensHeldOut().uri() : "");
        } catch (RuntimeException e) {
            throw ShardFiles.abandon(conf, tmp, e);
        }
    }

    /** A column name as Spark's parser reads it literally (a passthrough column may hold dots). */
    private static String quoted(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    private static void copy(Configuration conf, String from, String to) {
        Path src = new Path(from);
        Path dst = new Path(to);
        try {
            FileSystem fs = src.getFileSystem(conf);
            if (!FileUtil.copy(fs, src, dst.getFileSystem(conf), dst, false, conf)) {
                throw new IOException("copy returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }
}
