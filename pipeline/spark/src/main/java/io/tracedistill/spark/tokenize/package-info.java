/**
 * The tokenize stage: prepared shards to token shards ({@link io.tracedistill.spark.tokenize.TokenizeStage}).
 *
 * <h2>Token shard layout (what a trainer's {@code TokenShardReader} can rely on)</h2>
 * <pre>
 * output_dir/tokens/
 *   phase1/ part-00000.parquet part-00001.parquet ...   (or .jsonl with shard_format: jsonl)
 *   phase2/ part-00000.parquet ...
 *   quarantine/ part-00000.parquet                      phase, reason, detail + the prepared columns
 *   manifest.json                                       written last; its presence = the stage completed
 * </pre>
 * <ul>
 *   <li>Columns: {@code position} long, {@code type} string, {@code input_ids} array&lt;int&gt;, {@code labels}
 *       array&lt;int&gt; (-100 on the prompt), {@code num_tokens} int, {@code num_loss_tokens} int, then the
 *       passthrough input columns ({@link io.tracedistill.spark.ShardSchemas#tokens}).</li>
 *   <li>Order: {@code position} runs 0..N-1 without gaps; files in name order and rows in file order are ascending
 *       {@code position}, i.e. the training order (the reference's stratified order over the examples that survived
 *       tokenization). A reader may therefore stream the files in name order, or sort by {@code position}
 *       ({@code io.tracedistill.spark.train.SparkTokenShardReader}); the JSON Lines files are read directly by
 *       {@code io.tracedistill.train.JsonlTokenShardReader}.</li>
 *   <li>{@code num_tokens <= max_length}; every example has at least one supervised label.</li>
 *   <li>File names carry no random part and the manifest no timestamp: rerunning with the same inputs, config and chat
 *       date rewrites identical bytes.</li>
 * </ul>
 */
package io.tracedistill.spark.tokenize;
