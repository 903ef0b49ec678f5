package io.tracedistill.spark;

import static io.tracedistill.spark.Columns.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The shard schemas, defined once: prepared shards, token shards and quarantine shards.
 *
 * <p>Each is "leading columns" (see {@link Columns}) followed by the passthrough columns of the input
 * (every input column the format contract did not consume, with its input type). The prepared-shard and
 * token-shard schemas can therefore be stated before any data moves, given the input schema.
 */
public final class ShardSchemas {
    private ShardSchemas() {}

    /** Version of the prepared/token shard layout, written into every manifest. Bump on any change. */
    public static final int SCHEMA_VERSION = 1;

    /** The leading (non-passthrough) fields of a prepared shard. */
    public static final StructType PREPARED_LEADING_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField(POSITION, DataTypes.LongType, false),
        DataTypes.createStructField(TYPE, DataTypes.StringType, false),
        DataTypes.createStructField(PROMPT, DataTypes.StringType, false),
        DataTypes.createStructField(COMPLETION, DataTypes.StringType, false),
        DataTypes.createStructField(PHASE_INDEX, DataTypes.LongType, false),
        DataTypes.createStructField(SOURCE_FILE, DataTypes.StringType, false),
        DataTypes.createStructField(SOURCE_ROW, DataTypes.LongType, false),
    });

    /** The leading (non-passthrough) fields of a token shard. */
    public static final StructType TOKEN_LEADING_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField(POSITION, DataTypes.LongType, false),
        DataTypes.createStructField(TYPE, DataTypes.StringType, false),
        DataTypes.createStructField(INPUT_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        DataTypes.createStructField(LABELS, DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        DataTypes.createStructField(NUM_TOKENS, DataTypes.IntegerType, false),
        DataTypes.createStructField(NUM_LOSS_TOKENS, DataTypes.IntegerType, false),
    });

    /** The fields appended to the original input fields in a quarantine shard. */
    public static final StructType QUARANTINE_TRAILING_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField(QUARANTINE_REASON, DataTypes.StringType, false),
        DataTypes.createStructField(SOURCE_FILE, DataTypes.StringType, false),
        DataTypes.createStructField(SOURCE_ROW, DataTypes.LongType, false),
        DataTypes.createStructField(SOURCE_LINE, DataTypes.LongType, true),
        DataTypes.createStructField(QUARANTINE_DETAIL, DataTypes.StringType, true),
        DataTypes.createStructField(RAW_RECORD, DataTypes.StringType, true),
    });

    /** Prepared-shard schema: {@link #PREPARED_LEADING_SCHEMA} + passthrough fields. */
    public static StructType prepared(StructType passthrough) {
        return concat(PREPARED_LEADING_SCHEMA, passthrough, PREPARED_LEADING_SCHEMA, "prepared shard");
    }

    /** Token-shard schema: {@link #TOKEN_LEADING_SCHEMA} + passthrough fields. */
    public static StructType tokens(StructType passthrough) {
        return concat(TOKEN_LEADING_SCHEMA, passthrough, TOKEN_LEADING_SCHEMA, "token shard");
    }

    /** Quarantine schema: the original input fields + {@link #QUARANTINE_TRAILING_SCHEMA}. */
    public static StructType quarantine(StructType input) {
        return concat(input, QUARANTINE_TRAILING_SCHEMA, QUARANTINE_TRAILING_SCHEMA, "quarantine shard");
    }

    /**
     * The passthrough part of a prepared shard's schema: every field that is not a leading prepared column.
     * A token stage uses this to carry the passthrough columns on.
     */
    public static StructType passthroughOfPrepared(StructType preparedSchema) {
        Set<String> leading = new HashSet<>(Columns.PREPARED_LEADING);
        List<StructField> out = new ArrayList<>();
        for (StructField f : preparedSchema.fields()) {
            if (!leading.contains(f.name())) {
                out.add(f);
            }
        }
        return new StructType(out.toArray(new StructField[0]));
    }

    private static StructType concat(StructType first, StructType second, StructType reserved, String what) {
        Set<String> seen = new HashSet<>();
        List<StructField> out = new ArrayList<>();
        for (StructType part : List.of(first, second)) {
            for (StructField f : part.fields()) {
                if (!seen.add(f.name())) {
                    throw new IllegalArgumentException("Column '" + f.name() + "' appears twice in the " + what
                            + " schema: an input column has a name the " + what
                            + " reserves. Rename that input column; reserved names: "
                            + String.join(", ", reserved.fieldNames()) + ".");
                }
                out.add(f);
            }
        }
        return new StructType(out.toArray(new StructField[0]));
    }
}
