package io.tracedistill.jobs;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import io.tracedistill.chat.ChatTemplate;
import io.tracedistill.model.GenerationConfig;
import io.tracedistill.model.GreedyGenerator;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.tokens.HfTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code generate} command ({@code tracedistill generate}; options read by {@link CliArgs#options}): greedy
 * decoding from one prompt with a HF model directory and an optional PEFT adapter.
 *
 * <pre>
 * generate --model DIR [--adapter DIR] (--prompt TEXT [--chat] | --input-ids 1,2,3) --max-new-tokens N [--no-eos-stop]
 * </pre>
 *
 * <p>Prints the new token ids as a JSON array on one line, then the decoded text (when the model
 * directory has a {@code tokenizer.json}). Generation stops at the eos ids of
 * {@code generation_config.json} (the eos token is printed) unless {@code --no-eos-stop} is given;
 * the fixtures' recorded greedy tokens were made without eos stopping.
 */
public final class GenerateCommand {
    static final String USAGE = "usage: generate --model DIR [--adapter DIR] (--prompt TEXT [--chat] | --input-ids 1,2,3)"
            + " --max-new-tokens N [--no-eos-stop]";

    private GenerateCommand() {
    }

    /** Runs the command; returns the exit code (0 ok, 2 bad arguments, 1 failure). */
    static int run(CliArgs args, PrintStream out, PrintStream err) {
        Path model;
        Path adapter;
        String prompt;
        boolean chat;
        boolean eosStop;
        int maxNew;
        int[] parsedIds = null;
        try {
            CliArgs.Options o = args.options(Set.of("--model", "--adapter", "--prompt", "--input-ids", "--max-new-tokens"),
                    Set.of("--chat", "--no-eos-stop"));
            Optional<Path> modelOpt = o.path("--model");
            Optional<Integer> maxNewOpt = o.integer("--max-new-tokens", 0);
            if (modelOpt.isEmpty() || maxNewOpt.isEmpty()) {
                throw new CliArgs.UsageException("--model and --max-new-tokens are required");
            }
            model = modelOpt.get();
            maxNew = maxNewOpt.get();
            adapter = o.path("--adapter").orElse(null);
            prompt = o.value("--prompt").orElse(null);
            String inputIds = o.value("--input-ids").orElse(null);
            chat = o.flag("--chat");
            eosStop = !o.flag("--no-eos-stop");
            if ((prompt == null) == (inputIds == null)) {
                throw new CliArgs.UsageException("give exactly one of --prompt and --input-ids");
            }
            if (chat && prompt == null) {
                throw new CliArgs.UsageException("--chat needs --prompt");
            }
            if (inputIds != null) {
                parsedIds = parseIds(inputIds);
            }
        } catch (CliArgs.UsageException e) {
            err.println("generate: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try {
            Path tokenizerFile = model.resolve("tokenizer.json");
            int[] ids;
            if (parsedIds != null) {
                ids = parsedIds;
            } else {
                String text = prompt;
                if (chat) {
                    ChatTemplate template = ChatTemplate.fromTokenizerConfig(model);
                    text = template.render(List.of(Map.of("role", "user", "content", prompt)), true, Map.of());
                }
                try (HfTokenizer tok = HfTokenizer.load(model)) {
                    ids = tok.encode(text).ids();
                }
            }
            List<Integer> newTokens;
            try (NDManager manager = NDManager.newBaseManager()) {
                LanguageModel lm = ModelFamilies.load(model, manager);
                for (int id : ids) {
                    if (id < 0 || id >= lm.vocabSize()) {
                        throw new IllegalArgumentException("Token id " + id + " is outside the vocabulary [0, "
                                + lm.vocabSize() + ") of " + model);
                    }
                }
                if (adapter != null) {
                    PeftAdapter.load(lm, adapter, manager);
                }
                GenerationConfig gc = GenerationConfig.load(model, lm);
                GreedyGenerator.Options opts = new GreedyGenerator.Options(maxNew,
                        eosStop ? gc.eosTokenIds() : List.of(), gc.padTokenId());
                int[] gen = GreedyGenerator.generate(lm, List.of(ids), opts, manager).get(0);
                newTokens = Arrays.stream(gen).boxed().collect(Collectors.toList());
            }
            out.println(newTokens.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]")));
            if (Files.isRegularFile(tokenizerFile)) {
                out.println(decode(tokenizerFile, newTokens));
            } else {
                err.println("generate: no tokenizer.json in " + model + ": text not decoded");
            }
            return 0;
        } catch (RuntimeException | IOException e) {
            err.println("generate: " + e.getMessage());
            return 1;
        }
    }

    /** Decodes ids with the model's tokenizer (special tokens kept, as {@code skip_special_tokens=False}). */
    static String decode(Path tokenizerFile, List<Integer> ids) throws IOException {
        long[] l = ids.stream().mapToLong(Integer::longValue).toArray();
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerFile)
                .optAddSpecialTokens(false).build()) {
            return tok.decode(l, false);
        }
    }

    private static int[] parseIds(String csv) {
        List<Integer> out = new ArrayList<>();
        for (String part : csv.split(",")) {
            String p = part.strip();
            try {
                out.add(Integer.parseInt(p));
            } catch (NumberFormatException e) {
                throw new CliArgs.UsageException("Invalid token id '" + p + "' in --input-ids: give comma-separated integers");
            }
        }
        if (out.isEmpty()) {
            throw new CliArgs.UsageException("--input-ids is empty");
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
