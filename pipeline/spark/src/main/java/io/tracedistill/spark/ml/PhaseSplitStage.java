package io.tracedistill.spark.ml;

import io.tracedistill.run.Phase;
import io.tracedistill.spark.prepare.CheckedSchema;
import io.tracedistill.spark.prepare.FormatContractTransform;
import io.tracedistill.spark.prepare.InputFile;
import io.tracedistill.spark.prepare.InputFormat;
import io.tracedistill.spark.prepare.InputTable;
import io.tracedistill.spark.prepare.PhaseSplitter;
import io.tracedistill.spark.prepare.RowAssignment;
import io.tracedistill.spark.prepare.SchemaCheck;
import io.tracedistill.spark.prepare.ShardWriter;
import io.tracedistill.spark.prepare.StagedSummaryCodec;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The two-phase split + stratified order as a {@code spark.ml} {@link Transformer}: prepare's own
 * {@link PhaseSplitter#split} (on the driver, over the staged rows' summary) and {@link ShardWriter#preparedRows} (the
 * rows {@code PrepareStage} writes as {@code prepared/phase1} and {@code phase2}).
 *
 * <p>Input: staged rows ({@link FormatContractStage}'s output). Output: the prepared rows of both phases (schema of
 * the prepared shards: position in the phase's training order, type, prompt, completion, phase_index, source_file,
 * source_row, passthrough columns) and {@value #PHASE} ({@code phase1}/{@code phase2}); quarantined rows are not in
 * it. Sorting by {@value #PHASE} then position gives the training order.
 *
 * <p>Params: {@code hardTypes} ({@code hard_types}), {@code splitSeed} and {@code orderSeed} (both the run's {@code
 * seed}, as {@code PrepareSettings} passes them), {@code shuffle}, {@code effectiveBatch1}/{@code effectiveBatch2}
 * (per-device batch x gradient accumulation x world size of each phase), {@code holdoutFraction} (the held-out
 * slice's rows are in neither phase and not in the output: prepare writes them to {@code prepared/heldout}), and the
 * input columns {@code promptCol} ... {@code typeCol} (which input columns are consumed; the others pass through).
 * Saved and loaded with {@code MLWritable}/{@code MLReadable}.
 */
public final class PhaseSplitStage extends InputColumnsTransformer<PhaseSplitStage>
        implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    /** The output column naming the phase of a row. */
    public static final String PHASE = "phase";

    private final StringArrayParam hardTypes;
    private final LongParam splitSeed;
    private final LongParam orderSeed;
    private final BooleanParam shuffle;
    private final IntParam effectiveBatch1;
    private final IntParam effectiveBatch2;
    private final DoubleParam holdoutFraction;

    public PhaseSplitStage() {
        this(Identifiable$.MODULE$.randomUID("phaseSplit"));
    }

    /** With {@code uid} (the constructor {@code MLReader} calls). */
    public PhaseSplitStage(String uid) {
        super(uid);
        hardTypes = new StringArrayParam(this, "hardTypes", "the hard types, split across both phases (hard_types)");
        splitSeed = new LongParam(this, "splitSeed", "seed of the two-phase split (the run's seed)");
        orderSeed = new LongParam(this, "orderSeed", "seed of the stratified order (seed)");
        shuffle = new BooleanParam(this, "shuffle", "shuffle the rows before the two-phase split (shuffle)");
        effectiveBatch1 = new IntParam(this, "effectiveBatch1", "phase 1 effective batch: batch x accumulation x world size");
        effectiveBatch2 = new IntParam(this, "effectiveBatch2", "phase 2 effective batch: batch x accumulation x world size");
        holdoutFraction = new DoubleParam(this, "holdoutFraction",
                "share of the kept rows set aside per type before the split (holdout_fraction); they are in no phase");
        setDefault(holdoutFraction, 0.0);
        setDefault(shuffle, true);
    }

    public static MLReader<PhaseSplitStage> read() {
        return new DefaultParamsReader<>();
    }

    public static PhaseSplitStage load(String path) {
        return read().load(path);
    }

    public StringArrayParam hardTypes() {
        return hardTypes;
    }

    public LongParam splitSeed() {
        return splitSeed;
    }

    public LongParam orderSeed() {
        return orderSeed;
    }

    public BooleanParam shuffle() {
        return shuffle;
    }

    public IntParam effectiveBatch1() {
        return effectiveBatch1;
    }

    public IntParam effectiveBatch2() {
        return effectiveBatch2;
    }

    public DoubleParam holdoutFraction() {
        return holdoutFraction;
    }

    /** {@link PhaseSplitter.Params} as the prepare job builds them from the config. */
    public PhaseSplitStage setSplit(PhaseSplitter.Params p) {
        set(hardTypes, p.hardTypes().toArray(new String[0]));
        set(splitSeed, p.splitSeed());
        set(orderSeed, p.orderSeed().longValueExact());
        set(shuffle, p.shuffle());
        set(effectiveBatch1, p.effectiveBatch1());
        set(effectiveBatch2, p.effectiveBatch2());
        set(holdoutFraction, p.holdoutFraction());
        return this;
    }

    /** The split parameters. @throws IllegalArgumentException naming the params that are not set */
    public PhaseSplitter.Params splitParams() {
        List<String> unset = Arrays.stream(new org.apache.spark.ml.param.Param<?>[] {hardTypes, splitSeed, orderSeed,
                effectiveBatch1, effectiveBatch2}).filter(p -> !isDefined(p)).map(org.apache.spark.ml.param.Param::name)
                .toList();
        if (!unset.isEmpty()) {
            throw new IllegalArgumentException("PhaseSplitStage: set " + unset + " (setSplit sets them all from the"
                    + " run config's hard_types, split_seed, seed, shuffle and effective batches)");
        }
        return new PhaseSplitter.Params(List.of($(hardTypes)), (Long) $(splitSeed), BigInteger.valueOf((Long) $(orderSeed)),
                (Boolean) $(shuffle), (Integer) $(effectiveBatch1), (Integer) $(effectiveBatch2), (Double) $(holdoutFraction));
    }

    private CheckedSchema checked(StructType staged) {
        int lead = FormatContractTransform.STAGED_LEADING.size();
        List<String> names = Arrays.asList(staged.fieldNames());
        if (names.size() < lead || !names.subList(0, lead).equals(Arrays.asList(FormatContractTransform.STAGED_LEADING.fieldNames()))) {
            throw new IllegalArgumentException("PhaseSplitStage: the input is not staged rows (its columns "
                    + names + " do not start with " + Arrays.toString(FormatContractTransform.STAGED_LEADING.fieldNames())
                    + "); put a FormatContractStage before it");
        }
        StructType input = new StructType(Arrays.copyOfRange(staged.fields(), lead, staged.fields().length));
        InputTable t = new InputTable(FormatContractStage.DATAFRAME_SOURCE, InputFormat.PARQUET,
                List.of(new InputFile(FormatContractStage.DATAFRAME_SOURCE, 0, 0)), input, null, null);
        return SchemaCheck.check(t, columns(), null);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        Dataset<Row> staged = dataset.toDF();
        CheckedSchema schema = checked(staged.schema());
        // The summary with each row's identity (partition, position), as the job collects it: the assignment maps
        // staged rows back by it.
        PhaseSplitter.Result split = PhaseSplitter.split(StagedSummaryCodec.collectWithIdentity(staged), splitParams());
        // The broadcast lives as long as the returned (lazy) rows may be computed; Spark's cleaner frees it after.
        Broadcast<RowAssignment> assignment = JavaSparkContext.fromSparkContext(staged.sparkSession().sparkContext())
                .broadcast(split.assignment());
        // One block per phase: partition 0 = phase 1, 1 = phase 2.
        return ShardWriter.preparedRows(staged, assignment, schema, new ShardWriter.PhaseParts(1, 1), Integer.MAX_VALUE)
                .withColumn(PHASE, functions.when(functions.col(ShardWriter.PART).equalTo(0),
                        Phase.PHASE1.folderName()).otherwise(Phase.PHASE2.folderName()))
                .drop(ShardWriter.PART);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return checked(schema).prepared().add(DataTypes.createStructField(PHASE, DataTypes.StringType, false));
    }

    @Override
    public PhaseSplitStage copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
