package io.tracedistill.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Hand-checkable report numbers from made-up predictions. */
class EvalReportTest {
    static final List<ArmSpec> ARMS = List.of(ArmSpec.base(), new ArmSpec("adapter", "/runs/a/adapter"));

    static Prediction decoded(long row, String arm, String type, boolean parsed, boolean correct, boolean hitMax) {
        return new Prediction(row, arm, type, "4", parsed ? "\\boxed{4}" : "no box", parsed ? "4" : "", parsed,
                correct, 10, 5, hitMax ? Prediction.FINISH_LENGTH : Prediction.FINISH_EOS, Optional.empty());
    }

    static Prediction skipped(long row, String arm, String type) {
        return new Prediction(row, arm, type, "4", "", "", false, false, 300, 0, Prediction.FINISH_NOT_DECODED,
                Optional.of(SkipReason.PROMPT_TOO_LONG));
    }

    /** 5 rows: types gravity (rows 0, 1, 4), bit (row 2), "Émile|x" (row 3, a label needing escaping). */
    static List<Prediction> sample() {
        List<Prediction> ps = new ArrayList<>();
        ps.add(decoded(0, "base", "gravity", true, true, false));
        ps.add(decoded(1, "base", "gravity", true, false, false));
        ps.add(decoded(2, "base", "bit", false, false, true));
        ps.add(decoded(3, "base", "\u00c9mile|x", true, true, false));
        ps.add(skipped(4, "base", "gravity"));
        ps.add(decoded(0, "adapter", "gravity", true, true, false));
        ps.add(decoded(1, "adapter", "gravity", true, true, false));
        ps.add(decoded(2, "adapter", "bit", true, true, false));
        ps.add(decoded(3, "adapter", "\u00c9mile|x", false, false, true));
        ps.add(skipped(4, "adapter", "gravity"));
        return ps;
    }

    static EvalReport report() {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("scorer", "competition");
        return EvalReport.build(sample(), ARMS, meta);
    }

    @Test
    void countsPerArmAndType() {
        EvalReport r = report();
        assertEquals(List.of("bit", "gravity", "\u00c9mile|x"), r.types(), "code-point order");
        ArmSummary base = r.arm("base");
        assertEquals(new TypeCounts(5, 2, 3), base.overall());
        assertEquals(new TypeCounts(3, 1, 2), base.byType().get("gravity"));
        assertEquals(new TypeCounts(1, 0, 0), base.byType().get("bit"));
        assertEquals(4, base.decoded());
        assertEquals(Map.of("prompt_too_long", 1L), base.notDecoded());
        assertEquals(1, base.hitMaxNewTokens());
        assertEquals(20, base.newTokens());
        ArmSummary ad = r.arm("adapter");
        assertEquals(new TypeCounts(5, 3, 3), ad.overall());
        assertEquals(0.6, ad.overall().accuracy().getAsDouble(), 0.0);
        assertEquals(0.6, ad.overall().parseRate().getAsDouble(), 0.0);
    }

    @Test
    void json() {
        JsonNode j = report().toJson();
        assertEquals("competition", j.get("meta").get("scorer").asText());
        JsonNode base = j.get("arms").get(0);
        assertEquals("base", base.get("name").asText());
        assertTrue(base.get("adapter").isNull());
        assertEquals(0.4, base.get("accuracy").asDouble(), 0.0);
        assertEquals(0.6, base.get("parse_rate").asDouble(), 0.0);
        assertEquals(1, base.get("not_decoded").get("prompt_too_long").asInt());
        assertEquals(1.0 / 3, base.get("by_type").get("gravity").get("accuracy").asDouble(), 0.0);
        assertEquals("/runs/a/adapter", j.get("arms").get(1).get("adapter").asText());
        JsonNode t = j.get("accuracy_table");
        assertEquals("[\"bit\",\"gravity\",\"\u00c9mile|x\",\"overall\"]", t.get("rows").toString());
        assertEquals("[\"base\",\"adapter\"]", t.get("columns").toString());
        assertEquals("[[0.0,1.0],[0.3333333333333333,0.6666666666666666],[1.0,0.0],[0.4,0.6]]",
                t.get("accuracy").toString());
    }

    @Test
    void markdownTableRowsAreTypesPlusOverallColumnsAreArms() {
        String md = report().toMarkdown();
        assertTrue(md.contains("| type | rows | base | adapter |\n|---|---:|---:|---:|\n"), md);
        assertTrue(md.contains("| bit | 1 | 0.0% (0/1) | 100.0% (1/1) |\n"), md);
        assertTrue(md.contains("| gravity | 3 | 33.3% (1/3) | 66.7% (2/3) |\n"), md);
        assertTrue(md.contains("| \u00c9mile\\|x | 1 | 100.0% (1/1) | 0.0% (0/1) |\n"), md);
        assertTrue(md.contains("| **overall** | 5 | **40.0% (2/5)** | **60.0% (3/5)** |\n"), md);
        assertTrue(md.contains("| base | - | 5 | 4 | prompt_too_long: 1 | 1 | 5.0 |"), md);
    }

    @Test
    void armsMustCoverTheSameRows() {
        List<Prediction> ps = sample();
        ps.remove(9); // adapter loses row 4
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EvalReport.build(ps, ARMS, Map.of()));
        assertEquals("arm 'adapter' covers 4 rows but arm 'base' covers 5 (missing e.g. 4, extra e.g. none): every "
                + "eval row must have a prediction in every arm", e.getMessage());
    }

    @Test
    void duplicateAndUnknownArmsAreErrors() {
        List<Prediction> ps = sample();
        ps.add(decoded(0, "base", "gravity", true, true, false));
        assertEquals("arm 'base' has two predictions for row 0",
                assertThrows(IllegalArgumentException.class, () -> EvalReport.build(ps, ARMS, Map.of())).getMessage());
        List<Prediction> qs = List.of(decoded(0, "other", "t", false, false, false));
        assertEquals("prediction for row 0 names arm 'other', which is not one of [base, adapter]",
                assertThrows(IllegalArgumentException.class, () -> EvalReport.build(qs, ARMS, Map.of())).getMessage());
    }

    @Test
    void emptyEvalSetHasNoRates() {
        EvalReport r = EvalReport.build(List.of(), ARMS, Map.of());
        assertTrue(r.toJson().get("arms").get(0).get("accuracy").isNull());
        assertTrue(r.toMarkdown().contains("| **overall** | 0 | **n/a** | **n/a** |"));
    }

    @Test
    void chartHasOneBarPerArmAndType() {
        var d = AccuracyChart.dataset(report());
        assertEquals(List.of("base", "adapter"), d.getRowKeys());
        assertEquals(List.of("bit", "gravity", "\u00c9mile|x", "overall"), d.getColumnKeys());
        assertEquals(2.0 / 3, d.getValue("adapter", "gravity").doubleValue(), 0.0);
        byte[] png = AccuracyChart.png(report());
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }
}
