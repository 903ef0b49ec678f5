// Databricks notebook source
// DBTITLE 1,About this note
// MAGIC %md
// MAGIC ## tracedistill · 01 · Prepare and inspect
// MAGIC
// MAGIC Runs the **prepare** stage step by step as DataFrame transforms, then the whole stage, and inspects what it wrote:
// MAGIC
// MAGIC 1. load the run config (`ConfigLoader.load`) — the same YAML the CLI takes;
// MAGIC 2. read the chain-of-thought table (`InputReader`: CSV / JSON Lines / Parquet, local or `s3a://`) and check its schema against `columns` (`SchemaCheck`);
// MAGIC 3. apply the format contract `<think>…</think>\boxed{answer}` (`FormatContractTransform`): kept vs quarantined rows per type and reason, a few formatted records;
// MAGIC 4. dry-run the two-phase split and the type-stratified order (`PhaseSplitter`, nothing written);
// MAGIC 5. run prepare (`PrepareStage.run`: writes `output_dir/prepared/`), then read `prepared/manifest.json` and the phase shards: counts per type and the data-quality section (teacher `\boxed{}` disagreement, length percentiles).
// MAGIC
// MAGIC Set the two paths in **Parameters**, then *Run all*. The Spark interpreter needs `tracedistill-jobs-all.jar` as a dependency (see `notebooks/README.md`).
// MAGIC
// MAGIC *Databricks twin of `notebooks/01-prepare-and-inspect.zpln` (same cells; `display` for `z.show`). Attach the `-Pdist` jar (`jobs/target/tracedistill-jobs-all.jar`, on a Unity Catalog volume) as a cluster library of a dedicated (single-user) cluster on DBR 16.4 LTS.*

// COMMAND ----------

// DBTITLE 1,Parameters
// Edit these, then run all cells. Use absolute paths: /Volumes/... (read through the FUSE mount) or URIs; s3a:// works for data_path and output_dir.
val configPath = "/Volumes/main/tracedistill/files/conf/databricks.yaml"
// null = the config's output_dir. The "Run prepare" paragraph (re)writes <outputDir>/prepared/.
val outputDirOverride: String = null

// COMMAND ----------

// DBTITLE 1,Load the run config
import java.nio.file.Paths
import io.tracedistill.config.ConfigLoader
import io.tracedistill.spark.prepare.PrepareSettings

// Same loader and validation as the CLI: an error names the file, the key and the fix.
val cfg = ConfigLoader.load(Paths.get(configPath))
val outputDir = Option(outputDirOverride).getOrElse(cfg.output().outputDir())
// What `tracedistill prepare` takes from the config (only output_dir may differ here).
val prepareSettings = PrepareSettings.from(cfg).withOutputDir(outputDir)
// Effective batch = per_device_train_batch_size x gradient_accumulation_steps x world_size; the stratified order
// deals one type after another within each batch of this size.
val effectiveBatch1 = prepareSettings.effectiveBatch1()
val effectiveBatch2 = prepareSettings.effectiveBatch2()
println(s"""data_path     ${cfg.data().dataPath()}
           |output_dir    $outputDir
           |hard_types    ${cfg.data().hardTypes()}
           |seed          ${cfg.seed()} (shuffle ${cfg.data().shuffle()})
           |columns       ${cfg.data().columns()}
           |min_cot_len   ${cfg.data().minCotLen()}
           |shard_format  ${cfg.output().shardFormat().yamlName()}
           |batch         phase1 $effectiveBatch1, phase2 $effectiveBatch2""".stripMargin)

// COMMAND ----------

// DBTITLE 1,Read the CoT table
import io.tracedistill.spark.prepare.{InputReader, SchemaCheck, FormatContractTransform, PhaseSplitter}

// Lists data_path (file, directory of part files or glob), sorted by path: that order, then row order, is the input
// row order. CSV cells stay text (no type inference); an empty cell is null (pandas' NaN).
val table = InputReader.read(spark, cfg.data().dataPath())
val inputRows = table.rows().count()
println(s"${table.format()}: ${table.files().size()} file(s), $inputRows rows")
table.inputSchema().printTreeString()
display(table.rows().limit(5))

// COMMAND ----------

// DBTITLE 1,Check the schema
// Fails before any data moves if a configured column is missing (the message says which config key maps it).
val checked = SchemaCheck.check(table, cfg.data().columns(), Paths.get(configPath).getFileName.toString)
println(s"consumed by the contract: ${cfg.data().columns()}")
println(s"passthrough columns:      ${checked.passthrough().fieldNames.mkString(", ")}")
println("prepared shard schema:")
checked.prepared().printTreeString()

// COMMAND ----------

// DBTITLE 1,Format contract: kept vs quarantined
import org.apache.spark.sql.functions._
import FormatContractTransform.{STAGED_TYPE, STAGED_REASON, USER, ASSISTANT, COT_LEN, PROMPT_LEN, BOXED}

// One staged row per input row: the user/assistant turns, or the reason the row is quarantined.
val staged = FormatContractTransform
  .transform(table, checked, new FormatContractTransform.Params(cfg.data().promptSuffix(), cfg.data().minCotLen()))
  .cache()
val isKept = col(STAGED_REASON).isNull
val typeOrNone = coalesce(col(STAGED_TYPE), lit("<no type>")).as("type")

val keptByType = staged.groupBy(typeOrNone)
  .agg(count(lit(1)).as("input"), sum(when(isKept, 1).otherwise(0)).as("kept"),
       sum(when(isKept, 0).otherwise(1)).as("quarantined"))
  .orderBy("type")
display(keptByType)

val quarantineReasons = staged.where(!isKept).groupBy(typeOrNone, col(STAGED_REASON).as("reason")).count()
  .orderBy(col("type"), col("reason"))
display(quarantineReasons)

val stagedKept = staged.where(isKept).count()
val stagedQuarantined = staged.where(!isKept).count()
println(s"$inputRows input rows = $stagedKept kept + $stagedQuarantined quarantined")

// COMMAND ----------

// DBTITLE 1,A few formatted records
// What training sees: user turn = prompt + prompt_suffix; assistant turn = cot.rstrip() + "\n</think>\n\boxed{answer}".
val examples = staged.where(isKept)
  .select(col(STAGED_TYPE).as("type"), col(USER).as("user"), col(ASSISTANT).as("assistant"), col(COT_LEN).as("cot_len"))
  .limit(3)
display(examples)
val firstRecord = examples.head()
println(s"---- user turn (${firstRecord.getString(0)}) ----\n${firstRecord.getString(1)}")
println(s"---- assistant turn ----\n${firstRecord.getString(2)}")

// The quarantined rows as they were read (original columns follow the staged ones).
display(staged.where(!isKept).select(col(STAGED_REASON).as("reason"), typeOrNone,
  length(col("`" + cfg.data().columns().cot() + "`")).as("cot_chars")).limit(10))

// COMMAND ----------

// DBTITLE 1,Split and order (dry run, nothing written)
import spark.implicits._

// The two-phase split over ALL input rows (as the reference splits the raw frame), then per phase the stratified
// round-robin order over the kept rows. Driver-side, exactly what PrepareStage computes.
val split = PhaseSplitter.split(staged, new PhaseSplitter.Params(prepareSettings.hardTypes(),
  prepareSettings.splitSeed(), prepareSettings.seed(), prepareSettings.shuffle(), effectiveBatch1, effectiveBatch2))
val rowTypes = split.summary().`type`()
val dryRunPhase1Rows = split.phase1InputRowsByPosition().length.toLong
val dryRunPhase2Rows = split.phase2InputRowsByPosition().length.toLong
println(s"hard quota n = ${split.split().quota()}: phase1 $dryRunPhase1Rows rows, phase2 $dryRunPhase2Rows rows")
println(s"phase1, first two batches of $effectiveBatch1 by type:")
split.phase1InputRowsByPosition().take(2 * effectiveBatch1).grouped(effectiveBatch1)
  .foreach(batch => println("  " + batch.map(rowTypes(_)).mkString(", ")))

val dryRunByType = (split.phase1InputRowsByPosition().map(r => ("phase1", rowTypes(r))) ++
    split.phase2InputRowsByPosition().map(r => ("phase2", rowTypes(r))))
  .toSeq.toDF("phase", "type")
  .groupBy("type").pivot("phase", Seq("phase1", "phase2")).count().na.fill(0).orderBy("type")
display(dryRunByType)

// COMMAND ----------

// DBTITLE 1,Run prepare (writes output_dir/prepared/)
import io.tracedistill.spark.prepare.PrepareStage

// The whole stage as `tracedistill prepare` runs it: contract + quarantine, split, order, shards in training order,
// and prepared/manifest.json written last (its presence marks a complete run).
val prepared = PrepareStage.run(spark, prepareSettings, Paths.get(configPath))
println(s"""${prepared.inputRows()} input rows = ${prepared.keptRows()} kept + ${prepared.quarantinedRows()} quarantined ${prepared.dropReasons()}
           |phase1 ${prepared.phase1Rows()} rows in ${prepared.phase1Shards()}
           |phase2 ${prepared.phase2Rows()} rows in ${prepared.phase2Shards()}
           |manifest ${prepared.manifestPath()}""".stripMargin)

// COMMAND ----------

// DBTITLE 1,Manifest: counts per type
// The manifest is one JSON document; Spark reads it as a one-row table.
val manifest = spark.read.option("multiLine", "true").json(prepared.manifestPath())
display(manifest.select(col("counts.input"), col("counts.kept"), col("counts.quarantined"), col("counts.phase1"),
  col("counts.phase2"), col("split.hard_quota_n"), to_json(col("counts.drop_reasons")).as("drop_reasons")))
display(manifest.select(explode(col("per_type")).as("t"))
  .select(col("t.type"), col("t.input"), col("t.kept"), col("t.quarantined"), col("t.phase1"), col("t.phase2"),
    to_json(col("t.drop_reasons")).as("drop_reasons")))

// COMMAND ----------

// DBTITLE 1,Data quality (kept rows)
// Teacher box disagreement: the trace's own last balanced \boxed{} vs str(answer), both stripped. A high
// disagree_rate means the teacher often argued its way to another answer than the label it is trained to box.
// Lengths are in code points (tokens are in note 02).
display(manifest.select(explode(col("data_quality.per_type")).as("q")).select(
  col("q.type"), col("q.rows"), col("q.boxed_agrees").as("agrees"), col("q.boxed_disagrees").as("disagrees"),
  col("q.boxed_absent").as("absent"), round(col("q.disagree_rate"), 3).as("disagree_rate"),
  col("q.trace_len_codepoints.p50").as("trace_p50"), col("q.trace_len_codepoints.p90").as("trace_p90"),
  col("q.trace_len_codepoints.p99").as("trace_p99"), col("q.trace_len_codepoints.max").as("trace_max"),
  col("q.prompt_len_codepoints.p50").as("prompt_p50"), col("q.prompt_len_codepoints.max").as("prompt_max")))

// COMMAND ----------

// DBTITLE 1,Phase shards
// Shard files in name order, rows in file order = training order (position 0, 1, 2, ...).
def readPrepared(dir: String) =
  if (cfg.output().shardFormat().yamlName() == "parquet") spark.read.parquet(dir)
  else spark.read.schema(checked.prepared()).json(dir)
val phase1 = readPrepared(prepared.phase1Dir())
val phase2 = readPrepared(prepared.phase2Dir())
display(phase1.withColumn("phase", lit("phase1")).unionByName(phase2.withColumn("phase", lit("phase2")))
  .groupBy("type").pivot("phase", Seq("phase1", "phase2")).count().na.fill(0).orderBy("type"))
display(phase1.select("position", "type", "phase_index", "source_row").orderBy("position")
  .limit(2 * effectiveBatch1))

// COMMAND ----------

// DBTITLE 1,Consistency checks
// Everything above must agree: the step-by-step transforms, the stage's result, its manifest and its shards.
val manifestKept = manifest.select("counts.kept").head().getLong(0)
val preparedPhase1Rows = phase1.count()
val preparedPhase2Rows = phase2.count()
val checks = Seq(
  "contract kept (transform) == manifest kept"     -> (stagedKept == manifestKept),
  "phase1 rows (dry run) == phase1 shard rows"     -> (dryRunPhase1Rows == preparedPhase1Rows),
  "phase2 rows (dry run) == phase2 shard rows"     -> (dryRunPhase2Rows == preparedPhase2Rows),
  "phase1 positions are 0..n-1"                    -> (phase1.agg(min("position"), max("position"), countDistinct("position")).head()
                                                        .toSeq == Seq(0L, preparedPhase1Rows - 1, preparedPhase1Rows)))
checks.foreach { case (what, ok) => println(s"${if (ok) "OK  " else "FAIL"} $what") }
val allChecksPass = checks.forall(_._2)
