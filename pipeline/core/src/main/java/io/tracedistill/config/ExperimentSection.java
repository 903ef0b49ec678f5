package io.tracedistill.config;

import java.util.List;

import static io.tracedistill.config.ConfigKeys.K_ARMS;

/**
 * The four-arm experiment ({@code tracedistill experiment}); ignored by every other command.
 *
 * @param arms {@code arms}: the arms to run, in table order, no duplicates
 */
public record ExperimentSection(List<ExperimentArm> arms) {

    public ExperimentSection {
        arms = List.copyOf(arms);
    }

    static ExperimentSection from(ConfigValuesByKey v) {
        return new ExperimentSection(v.get(K_ARMS));
    }
}
