/**
 * The SFT format contract and the CPython text rules it depends on.
 *
 * <ul>
 *   <li>{@link io.tracedistill.contract.FormatContract}: {@code (prompt, cot, answer)} → chat record
 *       (reference {@code formatting.build_record}/{@code build_records});</li>
 *   <li>{@link io.tracedistill.contract.BoxedText}: {@code \boxed{…}} spans by brace depth
 *       ({@code strip_boxed}, last box);</li>
 *   <li>{@link io.tracedistill.contract.PyValue} / {@link io.tracedistill.contract.PyText}: Python
 *       {@code str()}, {@code repr()}, {@code strip()}, {@code len()} and string ordering, bit-exact
 *       with CPython 3.11 where the golden vectors pin them.</li>
 * </ul>
 * Pure Java: no Spark, no DJL.
 */
package io.tracedistill.contract;
