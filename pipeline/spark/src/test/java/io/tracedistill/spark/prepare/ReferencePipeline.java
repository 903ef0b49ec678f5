package io.tracedistill.spark.prepare;

import io.tracedistill.contract.FormatContract;
import io.tracedistill.contract.RecordOutcome;
import io.tracedistill.order.StratifiedOrder;
import io.tracedistill.python.PyValue;
import io.tracedistill.split.TwoPhaseSplit;
import io.tracedistill.testdata.SampleDataGenerator;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference's data path computed directly with the core classes, on the driver, for generated rows read with
 * prepare's CSV semantics (text as written, empty cell = NaN): {@code two_phase_split} over all rows, then
 * {@code build_records} per phase, then {@code build_stratified_index_order}. Rows without a type are dropped
 * after the split (prepare quarantines them). The expected training sequence of each phase.
 */
final class ReferencePipeline {
    private ReferencePipeline() {}

    /** One expected training row. */
    record Expected(String id, String type, String user, String assistant, long phaseIndex) {}

    static PyValue csvCell(String s) {
        return s == null || s.isEmpty() ? new PyValue.Float(Double.NaN) : new PyValue.Str(s);
    }

    /** [phase1, phase2] expected sequences in position order. */
    static List<List<Expected>> phases(List<SampleDataGenerator.Row> rows, List<String> hard, long seed, int batch1,
            int batch2) {
        List<String> types = new ArrayList<>();
        for (SampleDataGenerator.Row r : rows) {
            types.add(r.type());
        }
        TwoPhaseSplit.SplitResult split = TwoPhaseSplit.split(types, hard, seed, true);
        List<List<Expected>> out = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            int[] phaseRows = p == 0 ? split.phase1Rows() : split.phase2Rows();
            List<Expected> records = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (int idx : phaseRows) {
                SampleDataGenerator.Row r = rows.get(idx);
                RecordOutcome o = FormatContract.build(csvCell(r.prompt()), csvCell(r.cot()), csvCell(r.answer()));
                if (!o.isKept() || r.type() == null) {
                    continue;
                }
                records.add(new Expected(Long.toString(r.id()), r.type(), o.chatRecord().user(),
                        o.chatRecord().assistant(), records.size()));
                labels.add(r.type());
            }
            int[] order = StratifiedOrder.indexOrder(labels, p == 0 ? batch1 : batch2, BigInteger.valueOf(seed));
            List<Expected> seq = new ArrayList<>();
            for (int k : order) {
                seq.add(records.get(k));
            }
            out.add(seq);
        }
        return out;
    }
}
