package io.tracedistill.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.contract.AnswerOnlyTarget;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.Manifests;
import io.tracedistill.spark.ShardFiles;
import io.tracedistill.spark.tokenize.TokenizeStage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import static org.apache.spark.sql.functions.col;

/**
 * The prepared rows of the {@code answer_only} arm: the shared prepared phases ({@code prepared/phase1},
 * {@code prepared/phase2}: the format contract, split and order as usual) with each assistant turn replaced by
 * {@code </think>\n\boxed{answer}} ({@link AnswerOnlyTarget#fromContractTurn}), the reference's
 * {@code answer_only_records}. Every other column, and the row order, is unchanged; no held-out slice is written (the
 * arm's held-out loss is measured on the shared trace-format slice, like every arm's). The manifest is the shared one
 * plus {@code experiment_arm} and {@code completion}, written last.
 */
final class AnswerOnlyPrepareStep implements Step {
    /** The completion rule, recorded in the manifest and the fingerprint. */
    static final String RULE = "assistant turn = \"</think>\\n\\\\boxed{\" + str(answer) + \"}\" (no trace)";

    private final Function<JobContext, OutputLayout> from;

    /** @param from the folder whose {@code prepared/} holds the shared contract rows */
    AnswerOnlyPrepareStep(Function<JobContext, OutputLayout> from) {
        this.from = from;
    }

    /** @param rule {@link #RULE}; @param shardFormat {@code shard_format} */
    record Settings(String rule, ShardFormat shardFormat) {}

    @Override
    public String name() {
        return "answer_only_prepare";
    }

    @Override
    public Settings settings(JobContext ctx) {
        return new Settings(RULE, ctx.cfg().output().shardFormat());
    }

    @Override
    public Map<String, String> inputFiles(JobContext ctx) {
        return Map.of("prepared_manifest", ctx.files().sha256(from.apply(ctx).preparedManifest()));
    }

    @Override
    public RunPath marker(JobContext ctx) {
        return ctx.layout().preparedManifest();
    }

    @Override
    public String run(JobContext ctx) {
        SparkSession spark = ctx.spark();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        ShardFormat format = ctx.cfg().output().shardFormat();
        OutputLayout src = from.apply(ctx);
        OutputLayout to = ctx.layout();
        if (!ctx.files().isFile(src.preparedManifest())) {
            throw new IllegalStateException("No " + src.preparedManifest() + ": the shared prepare step has not completed;"
                    + " run tracedistill experiment again (it runs it first)");
        }
        Manifests.delete(conf, to.preparedManifest().uri());
        String tmp = ShardFiles.stagingDir(to.prepared().uri());
        Map<String, Object> rows = new LinkedHashMap<>();
        // Per phase: read, rewrite the completion column only, write in position order, publish.
        try {
            for (Phase phase : Phase.values()) {
                Dataset<Row> prepared = TokenizeStage.readPrepared(spark, format, src.prepared(phase).uri());
                int completion = prepared.schema().fieldIndex(Columns.COMPLETION);
                Dataset<Row> answerOnly = prepared.map((MapFunction<Row, Row>) r -> withAnswerOnly(r, completion),
                        Encoders.row(prepared.schema()));
                answerOnly.orderBy(col(Columns.POSITION)).write().format(format.sparkSource())
                        .save(tmp + "/" + phase.folderName());
                ShardFiles.deleteIfExists(conf, to.prepared(phase).uri());
                List<String> files = ShardFiles.names(ShardFiles.publish(conf, tmp + "/" + phase.folderName(),
                        to.prepared(phase).uri(), format));
                rows.put(phase.folderName(), files);
            }
            ShardFiles.deleteIfExists(conf, tmp);
        } catch (RuntimeException e) {
            throw ShardFiles.abandon(conf, tmp, e);
        }
        ObjectNode manifest = (ObjectNode) Manifests.read(conf, src.preparedManifest().uri()).deepCopy();
        manifest.put("experiment_arm", "answer_only");
        manifest.put("completion", RULE);
        manifest.put("contract_rows_from", src.prepared().uri());
        manifest.putPOJO("answer_only_files", rows);
        Manifests.writeAtomically(conf, to.preparedManifest().uri(), manifest);
        return "answer_only: assistant turns rewritten to </think>\\n\\boxed{answer} for " + src.prepared().uri()
                + " -> " + to.prepared().uri();
    }

    private static Row withAnswerOnly(Row r, int completion) {
        Object[] values = new Object[r.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = r.get(i);
        }
        values[completion] = AnswerOnlyTarget.fromContractTurn(r.getString(completion));
        return RowFactory.create(values);
    }
}
