package io.tracedistill.spark.prepare;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link InputReader} read: the rows (the input's own columns, then
 * {@link io.tracedistill.spark.Columns#SOURCE_FILE}), the input's own schema, the detected format and the
 * files in path order.
 */
public record InputTable(String dataPath, InputFormat format, List<InputFile> files, StructType inputSchema,
        Dataset<Row> rows) {}
