/**
 * What every stage of a run agrees on: its two {@link io.tracedistill.run.Phase}s and where each output lives under
 * {@code output_dir} ({@link io.tracedistill.run.OutputLayout}). Plain strings, no Hadoop or Spark types, so the
 * trainer and eval in {@code model} and the Spark stages share one definition.
 */
package io.tracedistill.run;
