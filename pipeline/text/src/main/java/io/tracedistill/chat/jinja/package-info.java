/**
 * A Jinja engine reproducing jinja2 3.1 under Hugging Face transformers' settings ({@code trim_blocks},
 * {@code lstrip_blocks}, immutable sandbox, {@code loopcontrols}, {@code {% generation %}}), behind one public
 * class, {@link io.tracedistill.chat.jinja.JinjaTemplate} ({@code compile}, {@code render} → {@link
 * io.tracedistill.chat.jinja.RenderResult}; errors are {@link io.tracedistill.chat.jinja.TemplateException}).
 *
 * <p>Laid out like jinja2:
 * <ul>
 *   <li>{@code Lexer} → {@code Parser} → {@code Node} (the AST) → {@code NameCheck} (unknown filter/test
 *       names at compile time) → {@code Renderer} (the tree-walking evaluator, {@code runtime.py});</li>
 *   <li>{@code Filters} ({@code filters.py}), {@code Tests} ({@code tests.py}), {@code Globals}
 *       ({@code defaults.py} plus transformers' globals), {@code Lookup} (the sandbox's {@code getattr} /
 *       {@code getitem}, {@code sandbox.py}), {@code PyMethods} (the {@code str}/{@code dict}/{@code list}
 *       methods a template may call) and {@code Args} (their argument checks);</li>
 *   <li>{@code Py} (Python operators, equality and ordering on template values, and the template-only values
 *       {@code Undefined}, {@code Namespace}, callables; plain {@code str}/{@code repr}/truthiness are
 *       {@link io.tracedistill.python.PyObjects}'), {@code PyStrings}, {@code PyFormat} ({@code %}-format),
 *       {@code PyJson} ({@code json.dumps}).</li>
 * </ul>
 */
package io.tracedistill.chat.jinja;
