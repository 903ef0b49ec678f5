package io.tracedistill.spark.prepare;

import io.tracedistill.contract.ColumnKeys;
import org.apache.spark.sql.types.StructType;

/**
 * The result of {@link SchemaCheck}: which input columns the contract consumes, which pass through, and
 * the schemas prepare will write (stated before any data moves).
 *
 * @param keys the input column names of prompt, cot, answer and type
 * @param input the input's own schema
 * @param passthrough every input column not in {@code keys}, in input order, with its input type
 * @param prepared the prepared-shard schema ({@link io.tracedistill.spark.ShardSchemas#prepared})
 * @param quarantine the quarantine-shard schema ({@link io.tracedistill.spark.ShardSchemas#quarantine})
 */
public record CheckedSchema(ColumnKeys keys, StructType input, StructType passthrough, StructType prepared,
        StructType quarantine) {}
