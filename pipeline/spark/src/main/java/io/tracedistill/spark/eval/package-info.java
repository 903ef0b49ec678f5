/**
 * The eval stage on Spark: {@link io.tracedistill.spark.eval.EvalStage#run} reads {@code eval_path} like prepare,
 * encodes prompts on the executors, plans decode batches on the driver over the whole eval set, decodes whole batches
 * per partition with per-JVM cached models ({@link io.tracedistill.eval.ArmModels}) and writes
 * {@code output_dir/eval/}: {@code predictions/} ({@link io.tracedistill.spark.eval.PredictionColumns}),
 * {@code eval_report.json}, {@code eval_report.md}, {@code accuracy_by_type.png}.
 *
 * <p>Why batches are planned globally rather than per partition: left padding changes float rounding, so a row's
 * greedy tokens may depend on which rows share its batch. Planning from the data alone makes the Spark predictions
 * equal the one-process {@link io.tracedistill.eval.LocalEval} bit for bit, for any master and partitioning.
 *
 * <p>Executors read the base model and adapter directories from their local file system (the paths in the config):
 * on a cluster they must be on a shared or replicated path. {@code scripts/bench-eval} runs
 * {@code io.tracedistill.tools.EvalBench} (module {@code pipeline/tools}).
 */
package io.tracedistill.spark.eval;
