/**
 * The SFT format contract (its CPython text rules are in {@code io.tracedistill.python}).
 *
 * <ul>
 *   <li>{@link io.tracedistill.contract.FormatContract}: {@code (prompt, cot, answer)} → chat record
 *       (reference {@code formatting.build_record}/{@code build_records});</li>
 *   <li>{@link io.tracedistill.contract.BoxedText}: {@code \boxed{…}} spans by brace depth
 *       ({@code strip_boxed}, last box).</li>
 * </ul>
 * Pure Java: no Spark, no DJL.
 */
package io.tracedistill.contract;
