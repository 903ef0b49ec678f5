package io.tracedistill.config;

import java.util.Objects;
import java.util.Optional;

import static io.tracedistill.config.ConfigKeys.*;

/**
 * Where and how the run writes.
 *
 * @param outputDir                  {@code output_dir}
 * @param shardFormat                {@code shard_format} of prepared/ and tokens/
 * @param sparkMaster                {@code spark_master}: an explicit override; empty = the platform's master, else {@code local[*]}
 * @param packageZip                 {@code package_zip}: write submission.zip
 * @param baseModelNameForSubmission {@code base_model_name_for_submission}: base_model_name_or_path in the zip
 */
public record OutputSection(String outputDir, ShardFormat shardFormat, Optional<String> sparkMaster, boolean packageZip,
                            Optional<String> baseModelNameForSubmission) {

    public OutputSection {
        Objects.requireNonNull(outputDir, "outputDir");
        Objects.requireNonNull(shardFormat, "shardFormat");
        Objects.requireNonNull(sparkMaster, "sparkMaster");
        Objects.requireNonNull(baseModelNameForSubmission, "baseModelNameForSubmission");
    }

    static OutputSection from(ConfigValuesByKey v) {
        return new OutputSection(v.get(K_OUTPUT_DIR), v.get(K_SHARD_FORMAT), v.get(K_SPARK_MASTER), v.get(K_PACKAGE_ZIP),
                v.get(K_BASE_MODEL_NAME_FOR_SUBMISSION));
    }
}
