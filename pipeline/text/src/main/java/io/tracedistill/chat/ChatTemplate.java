package io.tracedistill.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.chat.jinja.JinjaTemplate;
import io.tracedistill.chat.jinja.RenderResult;
import io.tracedistill.chat.jinja.TemplateException;
import io.tracedistill.python.PyObjects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A model's chat template, rendered byte-identically to Hugging Face transformers'
 * {@code tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=..., **kwargs)}.
 *
 * <p>The render context is built as transformers builds it: {@code messages}, {@code tools} (None unless given),
 * {@code documents} (None unless given), {@code add_generation_prompt}, the tokenizer's special tokens
 * ({@code bos_token}, {@code eos_token}, ... as strings; an absent one is undefined), then the extra variables
 * (e.g. {@code enable_thinking}), which win over special tokens. {@code strftime_now} reads the clock given by
 * {@link #withClock} / {@link #withDate} (default: the system clock).
 *
 * <p>The template is parsed once per instance; instances are immutable and thread-safe.
 */
public final class ChatTemplate implements ChatRenderer {

    /** The tokenizer_config.json keys transformers exposes to templates ({@code SPECIAL_TOKENS_ATTRIBUTES}). */
    public static final List<String> SPECIAL_TOKEN_KEYS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");

    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String CHAT_TEMPLATE_JINJA = "chat_template.jinja";

    private final JinjaTemplate template;
    private final Map<String, Object> specialTokens;
    private final Supplier<LocalDateTime> clock;

    private ChatTemplate(JinjaTemplate template, Map<String, Object> specialTokens, Supplier<LocalDateTime> clock) {
        this.template = template;
        this.specialTokens = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.clock = clock;
    }

    /**
     * A template from its source text.
     *
     * @param name shown in error messages (a file name or model id)
     * @param specialTokens template variables such as {@code bos_token} (may be empty)
     */
    public static ChatTemplate fromString(String source, String name, Map<String, ?> specialTokens) {
        Map<String, Object> tokens = new LinkedHashMap<>();
        specialTokens.forEach(tokens::put);
        return new ChatTemplate(JinjaTemplate.compile(source, name), tokens, LocalDateTime::now);
    }

    /**
     * Loads the chat template of a model directory, of a {@code tokenizer_config.json}, or a {@code .jinja} file.
     * As in transformers, a {@code chat_template.jinja} next to {@code tokenizer_config.json} wins over the config's
     * {@code chat_template} key; a list of named templates ({@code [{name, template}]}) uses the one named
     * {@code default}. Special tokens come from {@code tokenizer_config.json} (plain strings or AddedToken dicts
     * {@code {"content": ...}}).
     *
     * @throws TemplateException ({@code ValueError}) naming the file when there is no template, or
     *     {@code TemplateSyntaxError} naming the file and line
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJsonOrModelDir) {
        Path p = Objects.requireNonNull(tokenizerConfigJsonOrModelDir, "path");
        Path dir;
        Path config;
        Path jinja;
        if (Files.isDirectory(p)) {
            dir = p;
            config = dir.resolve(TOKENIZER_CONFIG);
            jinja = dir.resolve(CHAT_TEMPLATE_JINJA);
        } else if (p.getFileName().toString().endsWith(".jinja")) {
            dir = p.toAbsolutePath().getParent();
            config = dir.resolve(TOKENIZER_CONFIG);
            jinja = p;
        } else {
            dir = p.toAbsolutePath().getParent();
            config = p;
            jinja = dir.resolve(CHAT_TEMPLATE_JINJA);
        }
        if (!Files.exists(p)) {
            throw new TemplateException("FileNotFoundError", "No such file or directory: " + p
                    + " (pass a model directory, a tokenizer_config.json or a .jinja chat template)", p.toString(), 0);
        }
        JsonNode cfg = Files.isRegularFile(config) ? readJson(config) : null;
        String source;
        String name;
        if (Files.isRegularFile(jinja)) {
            source = readString(jinja);
            name = jinja.toString();
        } else if (cfg != null) {
            source = templateFromConfig(cfg, config);
            name = config.toString();
        } else {
            throw new TemplateException("ValueError", "Found neither " + TOKENIZER_CONFIG + " nor "
                    + CHAT_TEMPLATE_JINJA + " in " + dir, p.toString(), 0);
        }
        Map<String, Object> tokens = cfg == null ? Map.of() : specialTokens(cfg);
        return new ChatTemplate(JinjaTemplate.compile(source, name), tokens, LocalDateTime::now);
    }

    private static String templateFromConfig(JsonNode cfg, Path config) {
        JsonNode t = cfg.get("chat_template");
        if (t == null || t.isNull()) {
            throw new TemplateException("ValueError", config + " has no \"chat_template\" key and there is no "
                    + CHAT_TEMPLATE_JINJA + " next to it; this tokenizer does not define a chat template",
                    config.toString(), 0);
        }
        if (t.isTextual()) {
            return t.asText();
        }
        if (t.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode entry : t) {
                String n = entry.path("name").asText();
                names.add(n);
                if (n.equals("default")) {
                    return entry.path("template").asText();
                }
            }
            throw new TemplateException("ValueError", config + " defines named chat templates " + names
                    + " but none is called \"default\"", config.toString(), 0);
        }
        throw new TemplateException("ValueError", config + ": \"chat_template\" must be a string or a list of "
                + "{name, template}, not " + t.getNodeType(), config.toString(), 0);
    }

    static Map<String, Object> specialTokens(JsonNode cfg) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String key : SPECIAL_TOKEN_KEYS) {
            String v = tokenContent(cfg.get(key));
            if (v != null) {
                out.put(key, v);
            }
        }
        JsonNode extra = cfg.get("additional_special_tokens");
        if (extra != null && extra.isArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonNode e : extra) {
                String v = tokenContent(e);
                if (v != null) {
                    list.add(v);
                }
            }
            out.put("additional_special_tokens", list);
        }
        return out;
    }

    private static String tokenContent(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.get("content") != null && n.get("content").isTextual()) {
            return n.get("content").asText();
        }
        return null;
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new TemplateException("ValueError", "Cannot read " + file + " as JSON: " + e.getMessage(),
                    file.toString(), 0, e);
        }
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TemplateException("OSError", "Cannot read " + file + ": " + e.getMessage(), file.toString(), 0, e);
        }
    }

    /** The same template reading {@code clock} for {@code strftime_now}. */
    public ChatTemplate withClock(Supplier<LocalDateTime> clock) {
        return new ChatTemplate(template, specialTokens, Objects.requireNonNull(clock, "clock"));
    }

    /**
     * The same template with {@code strftime_now} frozen at noon of {@code date} (the config's {@code chat_date});
     * {@code null} means the system clock (the config default).
     */
    public ChatTemplate withDate(LocalDate date) {
        if (date == null) {
            return withClock(LocalDateTime::now);
        }
        LocalDateTime t = date.atTime(12, 0);
        return withClock(() -> t);
    }

    /** The same template with other special-token variables. */
    public ChatTemplate withSpecialTokens(Map<String, ?> tokens) {
        Map<String, Object> m = new LinkedHashMap<>();
        tokens.forEach(m::put);
        return new ChatTemplate(template, m, clock);
    }

    public String source() {
        return template.source();
    }

    public String name() {
        return template.name();
    }

    public Map<String, Object> specialTokens() {
        return specialTokens;
    }

    @Override
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extraVars) {
        return renderWithSpans(messages, addGenerationPrompt, extraVars).text();
    }

    /** Like {@link #render} and also returns the {@code {% generation %}} spans. */
    public RenderResult renderWithSpans(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
            Map<String, ?> extraVars) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        Map<String, ?> extra = extraVars == null ? Map.of() : extraVars;
        for (String reserved : List.of("messages", "add_generation_prompt")) {
            if (extra.containsKey(reserved)) {
                // transformers passes these by name, so Python fails with "got multiple values" for such a kwarg
                throw new TemplateException("TypeError", "render() got multiple values for keyword argument "
                        + PyObjects.repr(reserved) + "; pass it as the render argument, not as an extra variable", name(), 0);
            }
        }
        ctx.put("messages", messages);
        ctx.put("tools", extra.containsKey("tools") ? extra.get("tools") : null);
        ctx.put("documents", extra.containsKey("documents") ? extra.get("documents") : null);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.putAll(specialTokens);
        for (Map.Entry<String, ?> e : extra.entrySet()) {
            if (!e.getKey().equals("tools") && !e.getKey().equals("documents")) {
                ctx.put(e.getKey(), e.getValue());
            }
        }
        return template.render(ctx, clock);
    }
}
