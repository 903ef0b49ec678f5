package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.run.Phase;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.ml.FormatContractStage;
import io.tracedistill.spark.ml.PhaseSplitStage;
import io.tracedistill.testdata.SampleDataGenerator;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format contract then two-phase split + stratified order as a saved and reloaded {@code spark.ml} {@link Pipeline}:
 * per phase, its rows in position order are exactly the rows the prepare job wrote to {@code prepared/phase1} and
 * {@code prepared/phase2}.
 */
class PhaseSplitStageTest extends SparkTestBase {
    @TempDir
    Path dir;

    private static List<Row> byPosition(Dataset<Row> ds) {
        return ds.collectAsList().stream().sorted(Comparator.comparingLong(r -> r.getLong(r.fieldIndex(Columns.POSITION))))
                .toList();
    }

    @Test
    void aPipelineOfTheStagesGivesThePrepareJobsPhaseRows() throws Exception {
        Path csv = dir.resolve("train.csv");
        SampleDataGenerator.writeFile(11, 120, csv);
        PrepareSettings s = PrepareSettings.defaults(csv.toString(), dir.resolve("out").toString(),
                List.of("bit_manipulation", "cryptarithm_deduce"), 42);
        PrepareStage.run(spark, s, null);

        PhaseSplitter.Params split = new PhaseSplitter.Params(s.hardTypes(), s.splitSeed(), s.seed(), s.shuffle(),
                s.effectiveBatch1(), s.effectiveBatch2());
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {new FormatContractStage(),
                new PhaseSplitStage().setSplit(split)}).fit(InputReader.read(spark, csv.toString()).rows());
        model.write().overwrite().save(dir.resolve("pipeline").toString());
        PipelineModel loaded = PipelineModel.load(dir.resolve("pipeline").toString());
        PhaseSplitStage back = (PhaseSplitStage) loaded.stages()[1];
        assertEquals(split.hardTypes(), List.copyOf(back.splitParams().hardTypes()));
        assertEquals(split.orderSeed(), back.splitParams().orderSeed());

        Dataset<Row> out = loaded.transform(InputReader.read(spark, csv.toString()).rows()).cache();
        long total = 0;
        for (Phase phase : Phase.values()) {
            List<Row> job = byPosition(spark.read().parquet(dir.resolve("out/prepared").resolve(phase.folderName()).toString()));
            List<Row> stage = byPosition(out.where(functions.col(PhaseSplitStage.PHASE).equalTo(phase.folderName()))
                    .drop(PhaseSplitStage.PHASE));
            assertEquals(job.size(), stage.size(), phase.folderName() + " rows");
            assertEquals(job, stage, phase.folderName() + ": the job's rows in training order");
            total += job.size();
        }
        System.out.printf("PhaseSplitStage: %d prepared rows of both phases equal to the prepare job's%n", total);
        assertTrue(total > 0);

        IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
                () -> new PhaseSplitStage().transform(new FormatContractStage().transform(
                        InputReader.read(spark, csv.toString()).rows())));
        assertTrue(unset.getMessage().contains("hardTypes") && unset.getMessage().contains("setSplit"), unset.getMessage());
        IllegalArgumentException notStaged = assertThrows(IllegalArgumentException.class,
                () -> new PhaseSplitStage().setSplit(split).transform(InputReader.read(spark, csv.toString()).rows()));
        assertTrue(notStaged.getMessage().contains("put a FormatContractStage before it"), notStaged.getMessage());
    }
}
