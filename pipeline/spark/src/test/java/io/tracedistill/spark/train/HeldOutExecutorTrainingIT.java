package io.tracedistill.spark.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.spark.ShardSchemas;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.testdata.LoopbackNamespace;
import io.tracedistill.train.InProcessCollective;
import io.tracedistill.train.MetricsLog;
import io.tracedistill.train.TrainRun;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Held-out evaluation with {@code train_on: executors} (2 ranks on {@code local[2]}, the xgboost collective over
 * loopback) against the in-process {@code world_size: 2} run of the same config: the ranks share the held-out batches
 * and the greedy rows and exchange the sums exactly, so the step-0 record (same weights on both sides) is bit-identical
 * to the driver's, later records agree within the training's own executor-vs-driver tolerance, and every rank takes the
 * same early-stopping decision (patience 1 on an accuracy that never improves ends phase 1 at its first evaluation after
 * step 0; a rank that disagreed would hang the next collective). Runs in the loopback-only network namespace.
 */
class HeldOutExecutorTrainingIT {

    private static final double TOLERANCE = 1e-5;
    private static SparkSession spark;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(LoopbackNamespace.inside(), LoopbackNamespace.whyNotInside());
        spark = SparkSessions.builder("local[2]", "heldout-executor-training-it").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Examples {@code from..to-1} of a trajectory phase as a token shard folder {@code tokens/<folder>} in 2 files. */
    private static void writeTokens(Path out, int phase, int from, int to, String folder) throws Exception {
        JsonNode tok = new ObjectMapper().readTree(ExecutorTrainingIT.fixture("train_trajectory/tokenized_phase" + phase + ".json").toFile());
        List<Row> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            JsonNode e = tok.path("examples").get(i);
            List<Integer> ids = new ArrayList<>();
            e.path("input_ids").forEach(x -> ids.add(x.asInt()));
            List<Integer> labels = new ArrayList<>();
            e.path("labels").forEach(x -> labels.add(x.asInt()));
            int loss = (int) labels.stream().filter(x -> x != -100).count();
            rows.add(RowFactory.create((long) (i - from), e.path("type").asText(), ids, labels, ids.size(), loss));
        }
        spark.createDataFrame(rows, ShardSchemas.TOKEN_LEADING_SCHEMA).coalesce(2).write()
                .parquet(out.resolve("tokens").resolve(folder).toString());
    }

    private static Path prepare(String name) throws Exception {
        Path out = tmp.resolve(name);
        writeTokens(out, 1, 0, 14, "phase1");
        writeTokens(out, 2, 0, 6, "phase2");
        writeTokens(out, 2, 6, 13, OutputLayout.HELD_OUT);  // 7 rows: 4 loss batches of 2, split over 2 ranks
        return out;
    }

    /** The rows eval_generate_limit decodes (as the driver reads them from prepared/heldout). */
    private static List<EvalExample> decodeRows() {
        String[] prompts = {"2+2=?", "Name a color.", "x", "What is 7 times 6?", "Hi"};
        String[] types = {"math", "words", "words", "math", "words"};
        List<EvalExample> out = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            out.add(new EvalExample(i, types[i], "4", prompts[i] + " Put the answer in \\boxed{}."));
        }
        return out;
    }

    private static RunConfig cfg(Path out, String trainOn) {
        return ConfigLoader.parse(ExecutorTrainingIT.commonYaml(out.toString(), ExecutorTrainingIT.fixture("tiny-qwen2").toString(),
                ExecutorTrainingIT.fixture("train_trajectory/initial_adapter").toString(), trainOn)
                + "chat_date: '2025-07-10'\n"
                + "holdout_fraction: 0.1\n"
                + "eval_steps: 2\n"
                + "eval_generate_limit: 4\n"
                + "eval_max_new_tokens: 4\n"
                + "eval_batch_size: 1\n"
                + "metric_for_best: accuracy\n"
                + "early_stopping_patience: 1\n"
                + "phase1: {learning_rate: 2.0e-3, lr_scheduler_type: linear, warmup_steps: 0, num_train_epochs: 1,"
                + " per_device_train_batch_size: 2, gradient_accumulation_steps: 1, max_grad_norm: 1.0e9, logging_steps: 1}\n"
                + "phase2: {learning_rate: 1.0e-3, lr_scheduler_type: cosine, warmup_steps: 1, num_train_epochs: 1,"
                + " per_device_train_batch_size: 2, gradient_accumulation_steps: 1, max_grad_norm: 0.05, logging_steps: 1}\n",
                name(out) + ".yaml");
    }

    private static String name(Path out) {
        return out.getFileName().toString();
    }

    private static List<MetricsLog.HeldOutEntry> records(String name) throws Exception {
        return MetricsLog.readHeldOut(OutputLayout.ofLocal(tmp.resolve(name)).metrics().toLocalPath());
    }

    @Test
    void ranksShareTheHeldOutEvaluationWithTheDriversNumbersAndStopTogether() throws Exception {
        Path ex = prepare("executors");
        RunConfig ce = cfg(ex, "executors");
        String summary = ExecutorTraining.run(spark, ce, ce.toYaml(), new io.tracedistill.run.RunPath(ex.toString()), 256, false,
                false, Map.of(), Map.of(), o -> "done", true, decodeRows());
        assertEquals("done", summary);
        Path dr = prepare("driver");
        RunConfig cd = cfg(dr, "driver");
        TrainRun.run(TrainRun.Settings.of(cd),
                new ShardFileTokenReader(dr.resolve("tokens/phase1").toString(), ShardFormat.PARQUET, Map.of()),
                new ShardFileTokenReader(dr.resolve("tokens/phase2").toString(), ShardFormat.PARQUET, Map.of()),
                new ShardFileTokenReader(dr.resolve("tokens/" + OutputLayout.HELD_OUT).toString(), ShardFormat.PARQUET, Map.of()),
                decodeRows(), dr, ExecutorTrainingIT.fixture("tiny-qwen2"), 256, false, Map.of(), Map.of(), null,
                InProcessCollective.single(), null);

        List<MetricsLog.HeldOutEntry> e = records("executors");
        List<MetricsLog.HeldOutEntry> d = records("driver");
        List<String> schedule = d.stream().map(r -> r.phase() + ":" + r.step() + (r.stoppedEarly() ? " STOP" : "")).toList();
        // Phase 1 has 4 steps: evaluations at 0 and 2; accuracy 0 never improves, patience 1 stops it at step 2.
        assertEquals(List.of("phase1:0", "phase1:2 STOP", "phase2:2"), schedule);
        assertEquals(schedule, e.stream().map(r -> r.phase() + ":" + r.step() + (r.stoppedEarly() ? " STOP" : "")).toList());
        // Step 0: the same weights on both sides, so the exchanged sums give bit-identical numbers.
        assertEquals(d.get(0), e.get(0), "step-0 record, executors vs driver");
        double max = 0;
        for (int i = 0; i < d.size(); i++) {
            assertEquals(d.get(i).loss().targets(), e.get(i).loss().targets());
            assertEquals(d.get(i).accuracy(), e.get(i).accuracy(), "greedy counts of record " + i);
            max = Math.max(max, Math.abs(d.get(i).loss().loss() - e.get(i).loss().loss()));
            for (String t : d.get(i).loss().byType().keySet()) {
                max = Math.max(max, Math.abs(d.get(i).loss().byType().get(t).loss() - e.get(i).loss().byType().get(t).loss()));
            }
        }
        System.out.printf("held-out on executors (2 ranks) vs driver: step 0 bit-identical, max |dloss| %.2e over %d records"
                + " (tolerance %.0e); %d greedy rows per record, same counts%n", max, d.size(), TOLERANCE,
                d.get(0).accuracy().orElseThrow().overall().rows());
        assertTrue(max <= TOLERANCE, "max |dloss| " + max);
        assertEquals(4, d.get(0).accuracy().orElseThrow().overall().rows());
    }
}
