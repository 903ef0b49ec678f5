package io.tracedistill.config;

import io.tracedistill.contract.ColumnKeys;

import java.util.List;
import java.util.Objects;

import static io.tracedistill.config.ConfigKeys.*;

/**
 * The input table and how prepare reads, filters and splits it.
 *
 * @param dataPath     {@code data_path}: CSV/Parquet/JSONL file, directory or glob
 * @param hardTypes    {@code hard_types}: at least one label
 * @param columns      {@code columns}: input column names
 * @param promptSuffix {@code prompt_suffix}: appended to every user turn
 * @param minCotLen    {@code min_cot_len}: shorter traces are quarantined
 * @param strictData   {@code strict_data}: rows whose training target is malformed are quarantined, not kept
 * @param shuffle      {@code shuffle}: numpy shuffle before the two-phase split
 */
public record DataSection(String dataPath, List<String> hardTypes, ColumnKeys columns, String promptSuffix, int minCotLen,
                          boolean strictData, boolean shuffle) {

    public DataSection {
        Objects.requireNonNull(dataPath, "dataPath");
        hardTypes = List.copyOf(hardTypes);
        Objects.requireNonNull(columns, "columns");
        Objects.requireNonNull(promptSuffix, "promptSuffix");
    }

    static DataSection from(ConfigValuesByKey v) {
        return new DataSection(v.get(K_DATA_PATH), v.get(K_HARD_TYPES), v.get(K_COLUMNS), v.get(K_PROMPT_SUFFIX),
                v.get(K_MIN_COT_LEN), v.get(K_STRICT_DATA), v.get(K_SHUFFLE));
    }
}
