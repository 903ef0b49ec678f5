package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.python.PyValue;
import org.junit.jupiter.api.Test;

/** Hand-checkable cases of the per-row contract step (no Spark). */
class FormatContractTransformTest {
    static final FormatContractTransform.Params P = FormatContractTransform.Params.defaults();

    static PyValue s(String v) {
        return new PyValue.Str(v);
    }

    @Test
    void csvEmptyCellIsPandasNaNAndOtherTextIsKeptAsWritten() {
        assertTrue(FormatContractTransform.cell(InputFormat.CSV, null).isNaN());
        assertTrue(FormatContractTransform.cell(InputFormat.CSV, "").isNaN());
        assertEquals(s("007"), FormatContractTransform.cell(InputFormat.CSV, "007"));
        assertEquals(s("NA"), FormatContractTransform.cell(InputFormat.CSV, "NA"));
        assertEquals(s(" 5 "), FormatContractTransform.cell(InputFormat.CSV, " 5 "));
        // JSON/Parquet: null is None, typed values keep their Python type.
        assertEquals(PyValue.none(), FormatContractTransform.cell(InputFormat.JSONL, null));
        assertEquals("4.0", FormatContractTransform.cell(InputFormat.PARQUET, 4.0).pyStr());
        assertEquals("5", FormatContractTransform.cell(InputFormat.PARQUET, 5L).pyStr());
        assertEquals("True", FormatContractTransform.cell(InputFormat.PARQUET, true).pyStr());
    }

    @Test
    void badEncodingIsReplacementCharOrLoneSurrogate() {
        assertTrue(FormatContractTransform.badEncoding("a\uFFFDb"));
        assertTrue(FormatContractTransform.badEncoding("x\uD83D"));
        assertTrue(FormatContractTransform.badEncoding("\uDE00x"));
        assertFalse(FormatContractTransform.badEncoding("emoji \uD83D\uDE00 ok"));
        assertFalse(FormatContractTransform.badEncoding("中文 plain"));
    }

    @Test
    void keptRowHasTheContractTurns() {
        FormatContractTransform.Staged st = FormatContractTransform.stage(s("What is 2+2?"),
                s("We add two and two. \\boxed{4}"), s("4"), s("arith"), P);
        assertNull(st.reason());
        assertEquals("What is 2+2?" + P.promptSuffix(), st.user());
        assertEquals("We add two and two.\n</think>\n\\boxed{4}", st.assistant());
        assertEquals("arith", st.type());
        assertEquals(FormatContractTransform.BOXED_AGREES, st.boxed());
        assertEquals(29, st.cotLen()); // "We add two and two." (19) + " " + "\\boxed{4}" (9)
        assertEquals(12, st.promptLen());
    }

    @Test
    void reasonsInOrderBadEncodingThenContractThenMissingType() {
        assertEquals("bad_encoding", FormatContractTransform.stage(s("p\uFFFD"), s("ok"), s("1"), s("t"), P).reason());
        assertEquals("short_cot", FormatContractTransform.stage(s("p"), s("ok"), s("1"),
                new PyValue.Float(Double.NaN), P).reason());
        assertEquals("nan_cot", FormatContractTransform.stage(s("p"), new PyValue.Float(Double.NaN), s("1"), s("t"), P)
                .reason());
        assertEquals("missing_cot", FormatContractTransform.stage(s("p"), PyValue.none(), s("1"), s("t"), P).reason());
        assertEquals("missing_type", FormatContractTransform.stage(s("p"), s("long enough"), s("1"),
                new PyValue.Float(Double.NaN), P).reason());
        assertEquals("missing_type", FormatContractTransform.stage(s("p"), s("long enough"), s("1"), PyValue.none(), P)
                .reason());
    }

    @Test
    void boxedDisagreementAndAbsence() {
        assertEquals(FormatContractTransform.BOXED_DISAGREES, FormatContractTransform.stage(s("p"),
                s("so it is \\boxed{5.0}"), s("5"), s("t"), P).boxed());
        assertEquals(FormatContractTransform.BOXED_AGREES, FormatContractTransform.stage(s("p"),
                s("so it is \\boxed{ 5 }"), s("5"), s("t"), P).boxed());
        assertEquals(FormatContractTransform.BOXED_ABSENT, FormatContractTransform.stage(s("p"),
                s("no box at all here"), s("5"), s("t"), P).boxed());
    }
}
