package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.python.PyValue;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 #7: answers that make malformed targets ({@code a}b} → {@code \boxed{a}b}}, {@code \boxed{42}} boxed twice,
 * an empty answer → {@code \boxed{nan}}, a blank one, a null → {@code \boxed{None}}) and special-token text are kept by
 * default for parity with the reference, counted per kind in the manifest's {@code data_quality.target_issues} with
 * examples; {@code strict_data: true} quarantines them with the kind as the reason.
 */
class TargetIssueTest extends SparkTestBase {
    @TempDir
    Path dir;

    private static final PyValue P = new PyValue.Str("What is 6*7?");
    private static final PyValue COT = new PyValue.Str("a long enough reasoning trace");

    private static List<TargetIssue> of(PyValue prompt, PyValue cot, PyValue answer) {
        return TargetIssue.in(TargetIssue.of(prompt, cot, answer));
    }

    private static PyValue s(String v) {
        return new PyValue.Str(v);
    }

    @Test
    void eachKindOfTheIssueIsFound() {
        assertEquals(List.of(), of(P, COT, s("42")));
        assertEquals(List.of(), of(P, COT, s("{a}{b}")), "balanced braces are fine");
        assertEquals(List.of(TargetIssue.ANSWER_UNBALANCED_BRACES), of(P, COT, s("a}b")));
        assertEquals(List.of(TargetIssue.ANSWER_UNBALANCED_BRACES), of(P, COT, s("{x")));
        assertEquals(List.of(TargetIssue.ANSWER_ALREADY_BOXED), of(P, COT, s("\\boxed{42}")));
        assertEquals(List.of(TargetIssue.ANSWER_MISSING), of(P, COT, new PyValue.Float(Double.NaN)), "CSV empty cell");
        assertEquals(List.of(TargetIssue.ANSWER_MISSING), of(P, COT, PyValue.none()), "JSON/Parquet null");
        assertEquals(List.of(TargetIssue.ANSWER_BLANK), of(P, COT, s("   ")));
        assertEquals(List.of(TargetIssue.SPECIAL_TOKEN_TEXT), of(s("hi<|im_end|>"), COT, s("1")));
        assertEquals(List.of(TargetIssue.SPECIAL_TOKEN_TEXT), of(P, s("trace <|endoftext|> more"), s("1")));
        assertEquals(List.of(), of(s("a <| b |> c"), COT, s("1")), "spaces: no token name");
    }

    @Test
    void strictDataQuarantinesWithTheKindAsReason() {
        FormatContractTransform.Params strict = new FormatContractTransform.Params(
                FormatContractTransform.Params.defaults().promptSuffix(), 5, true);
        assertEquals("answer_unbalanced_braces", FormatContractTransform.stage(P, COT, s("a}b"), s("t"), strict).reason());
        assertEquals("answer_missing", FormatContractTransform.stage(P, COT, PyValue.none(), s("t"), strict).reason());
        FormatContractTransform.Staged kept = FormatContractTransform.stage(P, COT, s("a}b"),
                s("t"), FormatContractTransform.Params.defaults());
        assertNull(kept.reason(), "parity by default");
        assertTrue(kept.assistant().endsWith("\\boxed{a}b}"), "the reference's target, kept");
        assertEquals(TargetIssue.ANSWER_UNBALANCED_BRACES.bit(), kept.issues());
    }

    private Path data() throws IOException {
        String cot = "a long enough reasoning trace";
        StringBuilder csv = new StringBuilder("prompt,generated_cot,answer,type\n");
        for (int i = 0; i < 6; i++) {
            csv.append("q").append(i).append(',').append(cot).append(',').append(i).append(',')
                    .append(i % 2 == 0 ? "h" : "e").append('\n');
        }
        csv.append("q6,").append(cot).append(",a}b,h\n");              // row 6
        csv.append("q7,").append(cot).append(",\\boxed{42},e\n");       // row 7
        csv.append("q8,").append(cot).append(",,e\n");                  // row 8: \boxed{nan}
        csv.append("q9<|im_end|>,").append(cot).append(",9,h\n");       // row 9
        Path f = dir.resolve("data.csv");
        Files.writeString(f, csv.toString());
        return f;
    }

    @Test
    void countedInTheManifestByDefaultQuarantinedUnderStrictData() throws IOException {
        Path f = data();
        PrepareResult r = PrepareStage.run(spark, PrepareSettings.defaults(f.toString(), dir.resolve("a").toString(),
                List.of("h"), 0), null);
        assertEquals(10, r.keptRows(), "parity: all kept");
        JsonNode ti = Manifests.read(spark.sparkContext().hadoopConfiguration(), r.manifestPath())
                .get("data_quality").get("target_issues");
        System.out.println("target_issues: " + ti);
        assertEquals(false, ti.get("strict_data").asBoolean());
        JsonNode c = ti.get("counts");
        assertEquals(1, c.get("answer_unbalanced_braces").asLong());
        assertEquals(1, c.get("answer_already_boxed").asLong());
        assertEquals(1, c.get("answer_missing").asLong());
        assertEquals(0, c.get("answer_blank").asLong());
        assertEquals(1, c.get("special_token_text").asLong());
        assertEquals(6, ti.get("examples").get("answer_unbalanced_braces").get(0).get("row").asInt());
        assertTrue(ti.get("examples").get("answer_unbalanced_braces").get(0).get("file").asText().endsWith("/data.csv"));
        StagedSummaryCodec.InputSummary sum = new StagedSummaryCodec.InputSummary(List.of("file:/d/x.csv"), new int[3],
                new int[] {0, 1, 2}, new String[] {"h", "h", "h"}, new String[] {null, null, "short_cot"}, new int[3],
                new int[3], new byte[3], new byte[] {0, (byte) TargetIssue.ANSWER_BLANK.bit(),
                        (byte) TargetIssue.ANSWER_BLANK.bit()});
        assertEquals("rows kept with a malformed training target (the reference keeps them too): answer_blank 1 (e.g."
                + " file:/d/x.csv row 1). Fix those answers/texts in the input, or set strict_data: true to quarantine"
                + " such rows", PrepareManifest.targetIssueWarning(sum), "a quarantined row is not counted");

        PrepareResult strict = PrepareStage.run(spark, PrepareSettings.defaults(f.toString(),
                dir.resolve("b").toString(), List.of("h"), 0).withStrictData(true), null);
        assertEquals(6, strict.keptRows());
        assertEquals(4, strict.quarantinedRows());
        List<String> reasons = spark.read().parquet(strict.quarantineDir()).collectAsList().stream()
                .map(x -> x.getLong(x.fieldIndex(Columns.SOURCE_ROW)) + " " + x.getString(x.fieldIndex(
                        Columns.QUARANTINE_REASON))).toList();
        assertEquals(List.of("6 answer_unbalanced_braces", "7 answer_already_boxed", "8 answer_missing",
                "9 special_token_text"), reasons);
    }
}
