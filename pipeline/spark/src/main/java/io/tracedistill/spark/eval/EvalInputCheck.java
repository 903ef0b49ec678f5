package io.tracedistill.spark.eval;

import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.python.PyText;
import io.tracedistill.spark.prepare.InputSchemaException;
import io.tracedistill.spark.prepare.InputTable;
import io.tracedistill.spark.prepare.SchemaCheck;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks an eval table ({@code eval_path}, read by prepare's {@link io.tracedistill.spark.prepare.InputReader}) before
 * any decoding: it needs the configured prompt, answer and type columns (no cot column: the model writes the trace),
 * each a scalar. Every other column passes through to the predictions table. Wording follows prepare's
 * {@link SchemaCheck}, whose helpers it uses.
 */
public final class EvalInputCheck {
    private EvalInputCheck() {
    }

    /** What the check found: the three column indices and the passthrough schema. */
    public record Checked(int promptIdx, int answerIdx, int typeIdx, StructType passthrough,
            List<Integer> passthroughIdx) {}

    /** @throws InputSchemaException naming the file, the missing columns, the columns found and the config key */
    public static Checked check(InputTable table, ColumnKeys keys) {
        StructType input = table.inputSchema();
        List<String> found = List.of(input.fieldNames());
        List<String> expected = List.of(keys.prompt(), keys.answer(), keys.type());
        List<String> missing = SchemaCheck.missing(found, expected);
        String where = SchemaCheck.where(table);
        if (!missing.isEmpty()) {
            throw new InputSchemaException("eval_path " + table.format() + " " + where + " is missing required columns "
                    + PyText.reprList(missing) + "; found " + PyText.reprList(found) + ". Expected "
                    + PyText.reprList(expected) + " (prompt, answer, type). If your columns have other names, map them "
                    + "with the key 'columns' in the config, as for data_path.");
        }
        SchemaCheck.requireScalar(input, expected, "eval_path " + where, "");
        List<StructField> pass = new ArrayList<>();
        List<Integer> passIdx = new ArrayList<>();
        for (int i = 0; i < input.fields().length; i++) {
            StructField f = input.fields()[i];
            if (!expected.contains(f.name())) {
                pass.add(f);
                passIdx.add(i);
            }
        }
        StructType passthrough = new StructType(pass.toArray(new StructField[0]));
        PredictionColumns.schema(passthrough); // name clashes fail here, before anything runs
        return new Checked(input.fieldIndex(keys.prompt()), input.fieldIndex(keys.answer()),
                input.fieldIndex(keys.type()), passthrough, List.copyOf(passIdx));
    }
}
