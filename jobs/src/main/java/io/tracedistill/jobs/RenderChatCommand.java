package io.tracedistill.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.chat.ChatRenderer;
import io.tracedistill.chat.ChatTemplate;
import io.tracedistill.chat.PromptCompletion;
import io.tracedistill.chat.PromptCompletionException;
import io.tracedistill.chat.PromptCompletionRenderer;
import io.tracedistill.chat.jinja.TemplateException;
import io.tracedistill.tokens.CompletionMasker;
import io.tracedistill.tokens.HfTokenizer;
import io.tracedistill.tokens.MaskedExample;
import io.tracedistill.tokens.MaskedSpanPrinter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code render-chat} command ({@code tracedistill render-chat}; options read by {@link CliArgs#options}): renders a conversation with a model's chat template exactly as transformers'
 * {@code apply_chat_template(tokenize=False)} would, to check what the model will see.
 *
 * <pre>
 * render-chat --template PATH --messages FILE.json [--add-generation-prompt] [--vars FILE.json] [--json]
 * render-chat --template PATH --messages FILE.json --tokens --tokenizer DIR [--max-length N] [--vars FILE.json]
 * </pre>
 * <ul>
 *   <li>{@code --template}: a model directory, a {@code tokenizer_config.json} or a {@code .jinja} file;
 *   <li>{@code --messages}: a JSON list of {@code {role, content}} (or an object with a {@code messages} list);
 *   <li>{@code --vars}: one JSON object of extra template variables ({@code enable_thinking}, {@code tools}, ...);
 *       its key {@code "date": "YYYY-MM-DD"} is not a variable but the date {@code strftime_now} sees;
 *   <li>{@code --json}: print the rendered text as one JSON string on one line (otherwise the text, byte for byte);
 *   <li>{@code --tokens}: split the conversation at the last assistant turn with {@link PromptCompletionRenderer}
 *       (fail-closed boundary), tokenize and mask it with {@code CompletionMasker}, and print every token with the
 *       masked (prompt) ones bracketed ({@code MaskedSpanPrinter}).
 * </ul>
 * Exit status: 0 rendered, 1 the template or the boundary check failed, 2 bad arguments or unreadable input.
 */
public final class RenderChatCommand {

    static final String USAGE = "usage: render-chat --template PATH --messages FILE.json [--add-generation-prompt] "
            + "[--vars FILE.json] [--json] [--tokens --tokenizer DIR [--max-length N]]";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private RenderChatCommand() {}

    /** Parsed command line. */
    record Options(Path template, Path messages, boolean addGenerationPrompt, Path vars, boolean json, boolean tokens,
            Path tokenizer, int maxLength) {}

    /** Runs the command; returns the exit status. */
    static int run(CliArgs args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
        } catch (CliArgs.UsageException e) {
            err.println("render-chat: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try {
            List<Map<String, Object>> messages = readMessages(o.messages());
            Map<String, Object> vars = o.vars() == null ? new LinkedHashMap<>() : readVars(o.vars());
            ChatTemplate template = ChatTemplate.fromTokenizerConfig(o.template());
            Object date = vars.remove("date");
            if (date != null) {
                try {
                    template = template.withDate(LocalDate.parse(String.valueOf(date)));
                } catch (DateTimeParseException e) {
                    throw new CliArgs.UsageException("Invalid value " + date + " for \"date\" in " + o.vars()
                            + ": expected YYYY-MM-DD");
                }
            }
            if (o.tokens()) {
                return printTokens(o, template, messages, vars, out, err);
            }
            String text = template.render(messages, o.addGenerationPrompt(), vars);
            if (o.json()) {
                out.println(MAPPER.writeValueAsString(text));
            } else {
                out.print(text);
            }
            out.flush();
            return 0;
        } catch (CliArgs.UsageException e) {
            err.println("render-chat: " + e.getMessage());
            return 2;
        } catch (TemplateException | PromptCompletionException e) {
            err.println("render-chat: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("render-chat: " + e.getMessage());
            return 2;
        }
    }

    private static int printTokens(Options o, ChatTemplate template, List<Map<String, Object>> messages,
            Map<String, Object> vars, PrintStream out, PrintStream err) throws IOException {
        boolean thinking = !Boolean.FALSE.equals(vars.get(PromptCompletionRenderer.ENABLE_THINKING));
        Map<String, Object> others = new LinkedHashMap<>(vars);
        others.remove(PromptCompletionRenderer.ENABLE_THINKING);
        ChatRenderer withVars = (msgs, agp, extra) -> {
            Map<String, Object> all = new LinkedHashMap<>(others);
            all.putAll(extra);
            return template.render(msgs, agp, all);
        };
        PromptCompletion pc = new PromptCompletionRenderer(withVars).render(messages, thinking);
        try (HfTokenizer tokenizer = HfTokenizer.load(o.tokenizer())) {
            Optional<MaskedExample> ex = CompletionMasker.mask(tokenizer, pc.prompt(), pc.completion(), o.maxLength());
            if (ex.isEmpty()) {
                err.println("render-chat: no completion token survives truncation to --max-length " + o.maxLength()
                        + " (the example would be quarantined as truncated_no_completion)");
                return 1;
            }
            if (o.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("prompt", pc.prompt());
                m.put("completion", pc.completion());
                m.put("input_ids", ex.get().inputIds());
                m.put("labels", ex.get().labels());
                out.println(MAPPER.writeValueAsString(m));
            } else {
                out.print(MaskedSpanPrinter.render(tokenizer, ex.get()));
            }
            out.flush();
            return 0;
        }
    }

    static Options parse(CliArgs args) {
        CliArgs.Options o = args.options(Set.of("--template", "--messages", "--vars", "--tokenizer", "--max-length"),
                Set.of("--add-generation-prompt", "--json", "--tokens"));
        Path template = o.path("--template").orElse(null);
        Path messages = o.path("--messages").orElse(null);
        Path vars = o.path("--vars").orElse(null);
        Path tokenizer = o.path("--tokenizer").orElse(null);
        boolean agp = o.flag("--add-generation-prompt");
        boolean json = o.flag("--json");
        boolean tokens = o.flag("--tokens");
        int maxLength = o.integer("--max-length", 1).orElse(Integer.MAX_VALUE);
        if (template == null) {
            throw new CliArgs.UsageException("--template is required (a model directory, tokenizer_config.json or .jinja file)");
        }
        if (messages == null) {
            throw new CliArgs.UsageException("--messages is required (a JSON file with a list of {role, content})");
        }
        if (tokens && tokenizer == null) {
            throw new CliArgs.UsageException("--tokens needs --tokenizer DIR (a directory or file with tokenizer.json)");
        }
        if (!tokens && tokenizer != null) {
            throw new CliArgs.UsageException("--tokenizer is only used with --tokens");
        }
        if (tokens && agp) {
            throw new CliArgs.UsageException("--tokens splits the conversation at its final assistant turn; "
                    + "--add-generation-prompt does not apply");
        }
        return new Options(template, messages, agp, vars, json, tokens, tokenizer, maxLength);
    }

    static List<Map<String, Object>> readMessages(Path file) throws IOException {
        JsonNode root = readJson(file);
        JsonNode list = root.isObject() && root.has("messages") ? root.get("messages") : root;
        if (!list.isArray()) {
            throw new CliArgs.UsageException(file + " must hold a JSON list of messages ({\"role\": ..., \"content\": ...}) "
                    + "or an object with a \"messages\" list, not " + root.getNodeType());
        }
        for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).isObject()) {
                throw new CliArgs.UsageException("message " + i + " in " + file + " must be a JSON object, not "
                        + list.get(i).getNodeType());
            }
        }
        return MAPPER.convertValue(list, new TypeReference<List<Map<String, Object>>>() {});
    }

    static Map<String, Object> readVars(Path file) throws IOException {
        JsonNode root = readJson(file);
        if (!root.isObject()) {
            throw new CliArgs.UsageException(file + " must hold one JSON object of template variables, not "
                    + root.getNodeType());
        }
        return MAPPER.convertValue(root, new TypeReference<LinkedHashMap<String, Object>>() {});
    }

    private static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CliArgs.UsageException("No such file: " + file);
        }
        try {
            return MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new CliArgs.UsageException("Cannot parse " + file + " as JSON: " + e.getOriginalMessage());
        }
    }
}
