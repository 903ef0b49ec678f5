/**
 * Evaluation: greedy decoding of a test set with the base model and each LoRA adapter ("arms"),
 * boxed-answer grading, and a side-by-side report. No Spark here: the Spark stage
 * ({@code io.tracedistill.spark.eval.EvalStage}) distributes the same {@link io.tracedistill.eval.EvalBatch}es
 * that {@link io.tracedistill.eval.LocalEval} decodes in one process, so both give identical predictions.
 *
 * <h2>Flow</h2>
 * <ol>
 *   <li>{@link io.tracedistill.eval.EvalPromptEncoder}: user turn ({@code prompt + prompt_suffix}, as in
 *       training) → chat template with {@code add_generation_prompt=True} and {@code enable_thinking} → token
 *       ids.</li>
 *   <li>{@link io.tracedistill.eval.ContextLimit}: a row is decoded only if
 *       {@code prompt_tokens + max_new_tokens <= min(max_length, max_position_embeddings)}; otherwise it is kept
 *       with reason {@code prompt_too_long}. A template failure gives reason {@code template_error}.</li>
 *   <li>{@link io.tracedistill.eval.BatchPlan}: decodable rows sorted by (prompt length, row index), cut into
 *       batches of {@code eval_batch_size} — a function of the whole eval set only, never of Spark partitioning.</li>
 *   <li>{@link io.tracedistill.eval.ArmDecoder}: KV-cache greedy decoding with left padding
 *       ({@link io.tracedistill.model.GreedyGenerator}), models cached per JVM by
 *       {@link io.tracedistill.eval.ArmModels}; the text ({@code skip_special_tokens=True}, like vLLM) is graded by
 *       {@link io.tracedistill.grade.Grader} ({@code competition} or {@code gsm8k}).</li>
 *   <li>{@link io.tracedistill.eval.EvalReport} + {@link io.tracedistill.eval.AccuracyChart}: accuracy, parse
 *       rate and per-type accuracy per arm; every row counts (a row not decoded is unparsed and wrong).</li>
 * </ol>
 */
package io.tracedistill.eval;
