package io.tracedistill.spark.prepare;

import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.python.PyText;
import io.tracedistill.spark.ShardSchemas;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Step 2 of prepare: checks the input schema against the configured column mapping before any data moves,
 * and states the schemas prepare will write.
 *
 * <p>The missing-column message follows the reference's {@code load_cot_csv} wording ("... is missing required
 * columns [...]; found [...]. Expected [...].") and adds the config key that fixes it. Reference:
 * {@code tracedistill/data.py::load_cot_csv}; Spark ML's {@code transformSchema}.
 */
public final class SchemaCheck {
    private SchemaCheck() {}

    /**
     * @param table what {@link InputReader} read
     * @param keys the configured input column names (config key {@code columns})
     * @param configName the config file's name for messages (e.g. {@code config.yaml}); may be null
     * @throws InputSchemaException naming the file, the missing columns, the columns found and the fix
     */
    public static CheckedSchema check(InputTable table, ColumnKeys keys, String configName) {
        StructType input = table.inputSchema();
        List<String> found = List.of(input.fieldNames());
        List<String> expected = List.of(keys.prompt(), keys.cot(), keys.answer(), keys.type());
        List<String> missing = missing(found, expected);
        String where = where(table);
        String cfg = configName == null ? "the config" : configName;
        if (!missing.isEmpty()) {
            if (found.isEmpty() && table.rows() != null) {
                AllRowsMalformed.checkRead(table); // no column at all: maybe no record could be read
            }
            throw new InputSchemaException(table.format() + " " + where + " is missing required columns "
                    + PyText.reprList(missing) + "; found " + PyText.reprList(found) + ". Expected "
                    + PyText.reprList(expected) + ". If your columns have other names, map them with the key "
                    + "'columns' in " + cfg + ", e.g. columns: {prompt: question, cot: trace, answer: label, type: "
                    + "family}.");
        }
        requireScalar(input, expected, where, "; point the key 'columns' in " + cfg + " at a scalar column.");
        Set<String> consumed = Set.copyOf(expected);
        List<StructField> pass = new ArrayList<>();
        for (StructField f : input.fields()) {
            if (!consumed.contains(f.name())) {
                pass.add(f);
            }
        }
        StructType passthrough = new StructType(pass.toArray(new StructField[0]));
        StructType prepared;
        StructType quarantine;
        try {
            prepared = ShardSchemas.prepared(passthrough);
            quarantine = ShardSchemas.quarantine(input);
        } catch (IllegalArgumentException e) {
            throw new InputSchemaException("Input " + where + ": " + e.getMessage());
        }
        return new CheckedSchema(keys, input, passthrough, prepared, quarantine);
    }

    /** The {@code expected} columns not in {@code found}, each once, in expected order. */
    public static List<String> missing(List<String> found, List<String> expected) {
        List<String> missing = new ArrayList<>();
        for (String e : expected) {
            if (!found.contains(e) && !missing.contains(e)) {
                missing.add(e);
            }
        }
        return missing;
    }

    /** The input as a message names it: its one file, or data_path and the file whose header was read. */
    public static String where(InputTable table) {
        return table.files().size() == 1
                ? PyText.repr(table.files().get(0).path())
                : PyText.repr(table.dataPath()) + " (header of " + PyText.repr(table.files().get(0).path()) + ")";
    }

    /**
     * @param whereText the input as {@code Column 'x' of <whereText>} names it
     * @param fix appended to the message (how to point the config at a scalar column)
     * @throws InputSchemaException when a column of {@code columns} is not a string, number or boolean
     */
    public static void requireScalar(StructType input, List<String> columns, String whereText, String fix) {
        for (String c : columns) {
            DataType t = input.apply(c).dataType();
            if (!(t instanceof StringType || t instanceof NumericType || t instanceof BooleanType)) {
                throw new InputSchemaException("Column " + PyText.repr(c) + " of " + whereText
                        + " must be of type string, numeric or boolean but was actually " + t.simpleString() + fix);
            }
        }
    }
}
