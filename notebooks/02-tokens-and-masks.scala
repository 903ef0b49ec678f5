// Databricks notebook source
// DBTITLE 1,About this note
// MAGIC %md
// MAGIC ## tracedistill · 02 · Tokens and masks
// MAGIC
// MAGIC Inspects the **tokenize** stage's output, `output_dir/tokens/phase1`: every row is the model's own chat template rendered over `[user: prompt, assistant: completion]`, tokenized with its `tokenizer.json`, truncated to `max_length` (keep the start) and masked completion-only (label `-100` on the prompt span).
// MAGIC
// MAGIC 1. make sure the shards exist (runs prepare and tokenize when `prepared/` or `tokens/` has no manifest yet);
// MAGIC 2. token-length distribution per type, and a histogram;
// MAGIC 3. rows near `max_length` (where truncation bites) and the rows tokenize dropped;
// MAGIC 4. one example decoded token by token with the masked span marked (`MaskedSpanPrinter` + `HfTokenizer`);
// MAGIC 5. consistency checks against `tokens/manifest.json`.
// MAGIC
// MAGIC *Databricks twin of `notebooks/02-tokens-and-masks.zpln` (same cells; `display` for `z.show`). Attach the `-Pdist` jar (`jobs/target/tracedistill-jobs-all.jar`, on a Unity Catalog volume) as a cluster library of a dedicated (single-user) cluster on DBR 16.4 LTS.*

// COMMAND ----------

// DBTITLE 1,Parameters
// Edit these, then run all paragraphs (absolute paths are safest; s3a:// works for output_dir).
val configPath = "/Volumes/main/tracedistill/files/conf/databricks.yaml"
// null = the config's output_dir.
val outputDirOverride: String = null

// COMMAND ----------

// DBTITLE 1,Load the run config
import java.nio.file.Paths
import org.apache.spark.sql.functions._
import io.tracedistill.config.ConfigLoader

val cfg = ConfigLoader.load(Paths.get(configPath))
val outputDir = Option(outputDirOverride).getOrElse(cfg.output().outputDir())
val maxLength = cfg.model().maxLength()
println(s"base_model ${cfg.model().baseModel()}, max_length $maxLength, enable_thinking ${cfg.model().enableThinking()}, output_dir $outputDir")

// COMMAND ----------

// DBTITLE 1,Make sure the token shards exist
import org.apache.hadoop.fs.{Path => HadoopPath}
import io.tracedistill.spark.prepare.{PrepareStage, PrepareSettings}
import io.tracedistill.spark.tokenize.TokenizeStage

def exists(path: String): Boolean = {
  val p = new HadoopPath(path)
  p.getFileSystem(spark.sparkContext.hadoopConfiguration).exists(p)
}
// A manifest is written last by each stage: no manifest = no complete output.
if (!exists(s"$outputDir/prepared/manifest.json")) {
  println(s"No $outputDir/prepared/manifest.json: running prepare (see note 01)")
  PrepareStage.run(spark, PrepareSettings.from(cfg).withOutputDir(outputDir), Paths.get(configPath))
}
if (!exists(s"$outputDir/tokens/manifest.json")) {
  // As `tracedistill tokenize`: the model's own chat template, enable_thinking and chat_date from the config.
  println(s"No $outputDir/tokens/manifest.json: running tokenize")
  val tokenized = TokenizeStage.run(spark, cfg, outputDir)
  println(s"tokenize wrote ${tokenized.tokensDir()} (chat date ${tokenized.chatDate()})")
}

// COMMAND ----------

// DBTITLE 1,Read the token shards
val tokensManifest = spark.read.option("multiLine", "true").json(s"$outputDir/tokens/manifest.json")
val tokenShardFormat = tokensManifest.select("shard_format").head().getString(0)
def readTokens(dir: String) = if (tokenShardFormat == "parquet") spark.read.parquet(dir) else spark.read.json(dir)
// Files in name order, rows in file order = ascending position = training order.
val tokens = readTokens(s"$outputDir/tokens/phase1")
tokens.printSchema()
display(tokens.select("position", "type", "num_tokens", "num_loss_tokens").orderBy("position").limit(10))

// COMMAND ----------

// DBTITLE 1,Token lengths per type
// Exact percentiles (Spark's percentile interpolates; the manifest's are nearest-rank).
display(tokens.groupBy("type").agg(
    count(lit(1)).as("rows"), min("num_tokens").as("min"),
    expr("cast(percentile(num_tokens, 0.5) as int)").as("p50"),
    expr("cast(percentile(num_tokens, 0.9) as int)").as("p90"),
    expr("cast(percentile(num_tokens, 0.99) as int)").as("p99"),
    max("num_tokens").as("max"),
    round(avg("num_loss_tokens"), 1).as("mean_loss_tokens"),
    round(avg(col("num_loss_tokens") / col("num_tokens")), 3).as("loss_share"))
  .orderBy("type"))

// Histogram: 16 buckets up to max_length (rows per bucket and type).
val bucketWidth = math.max(1, maxLength / 16)
display(tokens.withColumn("tokens_from", (floor(col("num_tokens") / bucketWidth) * bucketWidth).cast("int"))
  .groupBy("tokens_from").pivot("type").count().na.fill(0).orderBy("tokens_from").limit(32))

// COMMAND ----------

// DBTITLE 1,Rows near max_length
// A row at max_length was truncated (keep the start): its end, usually the \boxed{} answer, is cut off.
val nearMax = tokens.where(col("num_tokens") >= lit(0.95 * maxLength))
val nearMaxRows = nearMax.count()
val manifestNearMax = tokensManifest.select("phases.phase1.rows_within_5pct_of_max_length").head().getLong(0)
println(s"$nearMaxRows of ${tokens.count()} phase1 rows have >= 95% of max_length $maxLength tokens (manifest: $manifestNearMax)")
display(nearMax.select("position", "type", "num_tokens", "num_loss_tokens").orderBy(desc("num_tokens")).limit(20))

// Rows tokenize dropped (e.g. the template failed, or truncation left no completion token), per phase and reason.
display(tokensManifest.select(col("phases.phase1.quarantined").as("phase1_dropped"),
  col("phases.phase2.quarantined").as("phase2_dropped"), col("quarantine.rows").as("quarantine_rows")))

// COMMAND ----------

// DBTITLE 1,A decoded example with the masked span
import io.tracedistill.tokens.{HfTokenizer, MaskedExample, MaskedSpanPrinter}

// The first row in training order. [bracketed] tokens have label -100 (the prompt: template header, user turn,
// assistant header); the rest (the completion) carries the loss.
val exampleRow = tokens.orderBy("position").select("position", "type", "input_ids", "labels").head()
val exampleIds = exampleRow.getSeq[Number](2).map(_.intValue).toArray
val exampleLabels = exampleRow.getSeq[Number](3).map(_.intValue).toArray
val exampleMasked = exampleLabels.count(_ == MaskedExample.IGNORE_INDEX)
val tokenizer = HfTokenizer.load(Paths.get(cfg.model().baseModel()))
def textOf(masked: Boolean): String = exampleIds.zip(exampleLabels).collect {
  case (id, label) if (label == MaskedExample.IGNORE_INDEX) == masked => tokenizer.tokenText(id)
}.mkString
val (decodedExample, maskedText, supervisedText) =
  try {
    (MaskedSpanPrinter.render(tokenizer, new MaskedExample(exampleIds, Array.fill(exampleIds.length)(1), exampleLabels)),
     textOf(true), textOf(false))
  } finally tokenizer.close()
println(s"position ${exampleRow.getLong(0)}, type ${exampleRow.getString(1)}")
println(decodedExample)
println("---- masked text (prompt: no loss) ----")
println(maskedText)
println("---- supervised text (completion: what the loss sees) ----")
println(supervisedText)

// COMMAND ----------

// DBTITLE 1,Consistency checks
val tokenRows = tokens.count()
val manifestPhase1Kept = tokensManifest.select("phases.phase1.kept").head().getLong(0)
val positions = tokens.agg(min("position"), max("position"), countDistinct("position")).head()
val lossMismatches = tokens.where(expr("num_loss_tokens != size(filter(labels, x -> x != -100)) or num_tokens != size(input_ids)")).count()
val checks = Seq(
  "phase1 shard rows == manifest phase1 kept"       -> (tokenRows == manifestPhase1Kept),
  "no row longer than max_length"                   -> (tokens.where(col("num_tokens") > maxLength).count() == 0),
  "near-max rows == manifest"                       -> (nearMaxRows == manifestNearMax),
  "num_tokens / num_loss_tokens match the arrays"   -> (lossMismatches == 0),
  "positions are 0..n-1"                            -> (positions.toSeq == Seq(0L, tokenRows - 1, tokenRows)),
  "example: prompt masked, completion supervised"   -> (exampleMasked > 0 && exampleMasked < exampleIds.length))
checks.foreach { case (what, ok) => println(s"${if (ok) "OK  " else "FAIL"} $what") }
val allChecksPass = checks.forall(_._2)
