package io.tracedistill.chat.jinja;

import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A Jinja template parsed once (the AST is immutable and shared by all renders, so one instance can render from many
 * threads) and rendered with the semantics of Python jinja2 3.1 under Hugging Face transformers' settings:
 * {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with the {@code loopcontrols} extension
 * and transformers' {@code {% generation %}} tag, {@code tojson} = {@code json.dumps(ensure_ascii=False)}, globals
 * {@code raise_exception} and {@code strftime_now}. Reference: transformers {@code utils/chat_template_utils.py}
 * ({@code _compile_jinja_template}) and jinja2's lexer, parser, runtime and sandbox.
 */
public final class JinjaTemplate {

    private final String name;
    private final String source;
    private final String normalisedSource;
    private final List<Node.Stmt> body;

    private JinjaTemplate(String name, String source) {
        this.name = name;
        this.source = source;
        this.normalisedSource = Lexer.normalisedSource(source);
        this.body = Parser.parse(source, name);
    }

    /**
     * Parses {@code source}.
     *
     * @param name the file or id named in error messages
     * @throws TemplateException {@code TemplateSyntaxError} naming the line
     */
    public static JinjaTemplate compile(String source, String name) {
        Objects.requireNonNull(source, "template source");
        return new JinjaTemplate(name, source);
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    /**
     * Renders with the given variables (Java values: String, Boolean, Integer/Long, Double, List, Map, null).
     *
     * @param clock what {@code strftime_now} reads
     * @throws TemplateException when the template raises ({@code raise_exception}) or fails at run time
     */
    public RenderResult render(Map<String, ?> variables, Supplier<LocalDateTime> clock) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : variables.entrySet()) {
            try {
                ctx.put(e.getKey(), Py.fromJava(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("Template variable '" + e.getKey() + "': " + ex.getMessage(), ex);
            }
        }
        return new Renderer(name, normalisedSource, clock).render(body, ctx);
    }
}
