package io.tracedistill.spark.eval;

import io.tracedistill.eval.Prediction;
import io.tracedistill.eval.SkipReason;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** {@link Prediction} ↔ predictions-table {@link Row} ({@link PredictionColumns} order, passthrough after). */
final class PredictionRows {
    private PredictionRows() {
    }

    static Row toRow(Prediction p, Object[] passthrough) {
        int n = PredictionColumns.LEADING.size();
        Object[] v = new Object[n + passthrough.length];
        v[0] = p.rowIndex();
        v[1] = p.arm();
        v[2] = p.type();
        v[3] = p.gold();
        v[4] = p.output();
        v[5] = p.extracted();
        v[6] = p.parsed();
        v[7] = p.correct();
        v[8] = p.promptTokens();
        v[9] = p.newTokens();
        v[10] = p.finish();
        v[11] = p.reason().map(SkipReason::code).orElse(null);
        System.arraycopy(passthrough, 0, v, n, passthrough.length);
        return RowFactory.create(v);
    }

    /** Reads the leading columns of a predictions row (by name, so column order on disk does not matter). */
    static Prediction fromRow(Row r) {
        String reason = r.getAs(PredictionColumns.SKIP_REASON);
        return new Prediction(((Number) r.getAs(PredictionColumns.ROW_INDEX)).longValue(),
                r.getAs(PredictionColumns.ARM), r.getAs(PredictionColumns.ROW_TYPE), r.getAs(PredictionColumns.GOLD),
                r.getAs(PredictionColumns.OUTPUT), r.getAs(PredictionColumns.EXTRACTED),
                r.<Boolean>getAs(PredictionColumns.PARSED), r.<Boolean>getAs(PredictionColumns.CORRECT),
                ((Number) r.getAs(PredictionColumns.PROMPT_TOKENS)).intValue(),
                ((Number) r.getAs(PredictionColumns.NUM_NEW_TOKENS)).intValue(), r.getAs(PredictionColumns.FINISH),
                reason == null ? Optional.empty() : Optional.of(SkipReason.fromCode(reason)));
    }
}
