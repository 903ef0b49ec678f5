package io.tracedistill.config;

import java.util.Objects;

import static io.tracedistill.config.ConfigKeys.K_COLLECTIVE_TIMEOUT_S;
import static io.tracedistill.config.ConfigKeys.K_TRAIN_MAX_ATTEMPTS;
import static io.tracedistill.config.ConfigKeys.K_TRAIN_ON;

/**
 * Where training runs and, on executors, how the ranks meet.
 *
 * @param trainOn            {@code train_on}: driver (one JVM) or executors (a barrier stage of world_size tasks)
 * @param collectiveTimeoutS {@code collective_timeout_s}: how long a rank waits for a peer before the stage fails
 * @param trainMaxAttempts   {@code train_max_attempts}: stage attempts; each retry resumes from the last checkpoint
 */
public record ExecutorTrainingSection(TrainOn trainOn, int collectiveTimeoutS, int trainMaxAttempts) {

    public ExecutorTrainingSection {
        Objects.requireNonNull(trainOn, "trainOn");
    }

    static ExecutorTrainingSection from(ConfigValuesByKey v) {
        return new ExecutorTrainingSection(v.get(K_TRAIN_ON), v.get(K_COLLECTIVE_TIMEOUT_S), v.get(K_TRAIN_MAX_ATTEMPTS));
    }
}
