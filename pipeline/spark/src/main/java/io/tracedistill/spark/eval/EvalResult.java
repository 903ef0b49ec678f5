package io.tracedistill.spark.eval;

import io.tracedistill.eval.EvalReport;
import java.util.List;

/**
 * What {@link EvalStage#run} wrote.
 *
 * @param evalDir        {@code output_dir/eval} (fully qualified)
 * @param predictionsDir {@code eval/predictions} (Parquet or JSON Lines part files)
 * @param reportJson     {@code eval/eval_report.json}
 * @param reportMarkdown {@code eval/eval_report.md}
 * @param chartPng       {@code eval/accuracy_by_type.png}
 * @param inputRows      rows read from {@code eval_path}
 * @param evalRows       rows evaluated ({@code eval_limit} applied)
 * @param decodedRows    evaluated rows decoded (the rest are in the table with a reason)
 * @param arms           arm names, {@code base} first
 * @param report         the report's numbers
 */
public record EvalResult(String evalDir, String predictionsDir, String reportJson, String reportMarkdown,
        String chartPng, long inputRows, long evalRows, long decodedRows, List<String> arms, EvalReport report) {
    public EvalResult {
        arms = List.copyOf(arms);
    }
}
