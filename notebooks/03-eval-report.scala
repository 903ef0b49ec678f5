// Databricks notebook source
// DBTITLE 1,About this note
// MAGIC %md
// MAGIC ## tracedistill · 03 · Eval report
// MAGIC
// MAGIC Reads the **eval** stage's predictions table, `output_dir/eval/predictions/` (one row per eval row and arm: `base`, then one arm per LoRA adapter), and shows:
// MAGIC
// MAGIC 1. accuracy and parse rate per arm, and why rows were not decoded;
// MAGIC 2. accuracy per type and arm (the competition's question: which problem families did distillation help?);
// MAGIC 3. rows where the arms disagree, with the extracted answers;
// MAGIC 4. consistency checks against `eval/eval_report.json` (which the stage computed from the same table).
// MAGIC
// MAGIC When `eval/eval_report.json` does not exist yet, the note runs the eval stage first (`EvalStage.run`: needs `eval_path` and an adapter — `output_dir/adapter` from training, or `eval_adapters`).
// MAGIC
// MAGIC *Databricks twin of `notebooks/03-eval-report.zpln` (same cells; `display` for `z.show`). Attach the `-Pdist` jar (`jobs/target/tracedistill-jobs-all.jar`, on a Unity Catalog volume) as a cluster library of a dedicated (single-user) cluster on DBR 16.4 LTS.*

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
println(s"eval_path ${cfg.eval().path().orElse("(not set)")}, scorer ${cfg.eval().scorer()}, max_new_tokens ${cfg.eval().maxNewTokens()}, " +
  s"adapters ${if (cfg.eval().adapters().isEmpty) s"$outputDir/adapter" else cfg.eval().adapters()}")

// COMMAND ----------

// DBTITLE 1,Make sure the eval output exists
import org.apache.hadoop.fs.{Path => HadoopPath}
import io.tracedistill.spark.eval.EvalStage

val reportPath = s"$outputDir/eval/eval_report.json"
val reportFile = new HadoopPath(reportPath)
// eval_report.json is written last: without it the predictions are missing or stale.
if (!reportFile.getFileSystem(spark.sparkContext.hadoopConfiguration).exists(reportFile)) {
  println(s"No $reportPath: running eval (greedy decoding of every arm; minutes on CPU for a real model)")
  val evaluated = EvalStage.run(spark, cfg, outputDir)
  println(s"eval: ${evaluated.evalRows()} of ${evaluated.inputRows()} rows evaluated, ${evaluated.decodedRows()} decoded, " +
    s"arms ${evaluated.arms()}; report ${evaluated.reportJson()}")
}

// COMMAND ----------

// DBTITLE 1,Read the predictions
val predictionsDir = s"$outputDir/eval/predictions"
val predictions =
  if (cfg.output().shardFormat().yamlName() == "parquet") spark.read.parquet(predictionsDir) else spark.read.json(predictionsDir)
predictions.printSchema()
// Arms in report order: base first, then the adapters.
val report = spark.read.option("multiLine", "true").json(reportPath)
val armOrder = report.select(explode(col("arms.name"))).collect().map(_.getString(0)).toSeq
val armRank = armOrder.zipWithIndex.foldLeft(lit(armOrder.size)) { case (acc, (arm, i)) => when(col("arm") === arm, i).otherwise(acc) }
display(predictions.select("row_index", "arm", "type", "gold", "extracted", "parsed", "correct", "finish", "num_new_tokens")
  .orderBy(armRank, col("row_index")).limit(20))

// COMMAND ----------

// DBTITLE 1,Accuracy per arm
// Every row counts: a row that was not decoded (prompt_too_long, template_error) is unparsed and wrong.
val byArm = predictions.groupBy("arm").agg(
    count(lit(1)).as("rows"),
    sum(col("correct").cast("long")).as("correct"),
    sum(col("parsed").cast("long")).as("parsed"),
    round(avg(col("correct").cast("double")), 4).as("accuracy"),
    round(avg(col("parsed").cast("double")), 4).as("parse_rate"),
    sum((col("finish") === "max_new_tokens").cast("long")).as("hit_max_new_tokens"),
    sum((col("finish") === "not_decoded").cast("long")).as("not_decoded"))
  .orderBy(armRank)
display(byArm)
display(predictions.where(col("reason").isNotNull).groupBy("arm", "reason").count().orderBy(armRank, col("reason")))

// COMMAND ----------

// DBTITLE 1,Accuracy per type and arm
display(predictions.groupBy("type").pivot("arm", armOrder)
  .agg(round(avg(col("correct").cast("double")), 3)).orderBy("type"))
display(predictions.groupBy("type").pivot("arm", armOrder)
  .agg(round(avg(col("parsed").cast("double")), 3)).orderBy("type"))

// COMMAND ----------

// DBTITLE 1,Where the arms disagree
// Rows that one arm gets right and another wrong (base vs each adapter), with what each extracted from its box.
val base = predictions.where(col("arm") === "base")
  .select(col("row_index"), col("type"), col("gold"), col("correct").as("base_correct"), col("extracted").as("base_extracted"))
val disagreements = predictions.where(col("arm") =!= "base")
  .select(col("row_index"), col("arm"), col("correct").as("arm_correct"), col("extracted").as("arm_extracted"),
    substring(col("output"), 1, 120).as("arm_output_start"))
  .join(base, "row_index")
  .where(col("arm_correct") =!= col("base_correct"))
  .select("arm", "row_index", "type", "gold", "base_correct", "base_extracted", "arm_correct", "arm_extracted", "arm_output_start")
  .orderBy(col("arm"), col("row_index"))
val baseOutputs = predictions.where(col("arm") === "base").select(col("row_index"), col("output").as("base_output"))
val outputsDiffer = predictions.where(col("arm") =!= "base").join(baseOutputs, "row_index")
  .where(col("output") =!= col("base_output")).count()
println(s"${disagreements.count()} (row, adapter) pairs where the adapter and the base model disagree on correctness; " +
  s"$outputsDiffer where their outputs differ at all")
display(disagreements)

// COMMAND ----------

// DBTITLE 1,Consistency checks
// The report was computed by the stage from the same table: per arm, rows / correct / parsed must match.
val reported = report.select(explode(col("arms")).as("a"))
  .select(col("a.name").as("arm"), col("a.rows").as("r_rows"), col("a.correct").as("r_correct"), col("a.parsed").as("r_parsed"))
val compared = byArm.join(reported, "arm")
val mismatches = compared.where(col("rows") =!= col("r_rows") || col("correct") =!= col("r_correct") || col("parsed") =!= col("r_parsed")).count()
val predictionRows = predictions.count()
val rowsPerArm = byArm.select("rows").distinct().count()
val checks = Seq(
  "every arm of the report has predictions"            -> (compared.count() == armOrder.size),
  "rows / correct / parsed per arm == eval_report.json" -> (mismatches == 0),
  "every arm covers the same number of rows"            -> (rowsPerArm == 1),
  "no correct row is unparsed"                          -> (predictions.where(col("correct") && !col("parsed")).count() == 0))
checks.foreach { case (what, ok) => println(s"${if (ok) "OK  " else "FAIL"} $what") }
val allChecksPass = checks.forall(_._2)
