/**
 * The run configuration: typed records ({@link io.tracedistill.config.RunConfig},
 * {@link io.tracedistill.config.PhaseConfig}), every key declared once in
 * {@link io.tracedistill.config.ConfigKeys}, and the safe YAML loader
 * {@link io.tracedistill.config.ConfigLoader} that reproduces the reference's
 * {@code run.load_config} checks and messages (golden {@code config_validation.json}) before
 * applying this port's stricter typing.
 */
package io.tracedistill.config;
