package io.tracedistill.contract;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.python.PyValue;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The answer-only arm's assistant turn against the reference's {@code answer_only_records}
 * ({@code examples/gsm8k_trace_distillation.py}) for the golden inputs' kept rows.
 *
 * <p>{@code golden/answer_only_records.json} was produced by a python3 snippet run by hand (its {@code meta} says how):
 * for every row the reference's {@code build_record(s)} keeps in {@code golden/build_record.json} and
 * {@code golden/csv_build_records.json}, the golden contract turn and the reference's f-string
 * {@code f"</think>\n\\boxed{{{row['answer']}}}"} of the same row's answer.
 */
class AnswerOnlyTargetTest {

    @Test
    void contractTurnsOfGoldenInputsBecomeTheReferenceAnswerOnlyTurns() {
        List<JsonNode> cases = GoldenResources.cases("answer_only_records.json", "cases");
        assertTrue(cases.size() > 300, "cases: " + cases.size());
        int csvRows = 0;
        for (JsonNode c : cases) {
            String expected = c.get("expected_answer_only").asText();
            assertEquals(expected, AnswerOnlyTarget.fromContractTurn(c.get("contract_assistant").asText()),
                    c.get("source").asText());
            csvRows += c.get("source").asText().startsWith("csv_build_records.json") ? 1 : 0;
        }
        assertTrue(csvRows >= 20, "CSV golden rows covered: " + csvRows);
    }

    @Test
    void ofAnswerCellIsTheReferenceFString() {
        assertEquals("</think>\n\\boxed{42}", AnswerOnlyTarget.of(PyValue.Int.of(42)));
        assertEquals("</think>\n\\boxed{4.0}", AnswerOnlyTarget.of(new PyValue.Float(4.0)));
        assertEquals("</think>\n\\boxed{nan}", AnswerOnlyTarget.of(new PyValue.Float(Double.NaN)));
        // A contract turn built from the same cells gives the same answer-only turn.
        RecordOutcome kept = FormatContract.build(PyValue.str("Q"), PyValue.str("a trace with \\boxed{7} inside"),
                PyValue.str("x}y"));
        assertEquals(AnswerOnlyTarget.of(PyValue.str("x}y")),
                AnswerOnlyTarget.fromContractTurn(((RecordOutcome.Kept) kept).chatRecord().assistant()));
    }

    @Test
    void aTurnThatIsNotAContractTurnIsRefusedWithTheText() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AnswerOnlyTarget.fromContractTurn("just text"));
        assertTrue(e.getMessage().contains("just text"), e.getMessage());
    }
}
