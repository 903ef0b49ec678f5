/**
 * CPython 3.11 semantics that the reference relies on and Java does differently, implemented once for
 * the format contract, the config checks and the chat templates.
 *
 * <ul>
 *   <li>{@link io.tracedistill.python.PyText}: {@code str.strip()}/{@code isspace()}, {@code len()},
 *       code-point ordering, {@code repr(float)} and {@code repr(str)};</li>
 *   <li>{@link io.tracedistill.python.PyObjects}: {@code type(x).__name__}, {@code bool(x)},
 *       {@code repr(x)} and {@code str(x)} of plain Java values (None, bool, int, float, str, tuple,
 *       list, set, dict, bytes, dates);</li>
 *   <li>{@link io.tracedistill.python.PyValue}: a typed cell of the reference's data frames and golden
 *       vectors; {@link io.tracedistill.python.PyTuple}: a tuple.</li>
 * </ul>
 * Bit-exact with CPython where the golden vectors pin it ({@code python_repr.json},
 * {@code python_whitespace.json}). Template-only values (jinja2's {@code Undefined}, macros) stay in
 * {@code io.tracedistill.chat}. Pure Java: no Spark, no DJL.
 */
package io.tracedistill.python;
