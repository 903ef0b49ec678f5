package io.tracedistill.train;

import io.tracedistill.config.EvalScorer;
import io.tracedistill.eval.ArmDecoder;
import io.tracedistill.eval.ArmModels;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.eval.BatchPlan;
import io.tracedistill.eval.ContextLimit;
import io.tracedistill.eval.EncodedPrompt;
import io.tracedistill.eval.EvalBatch;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.eval.EvalPromptEncoder;
import io.tracedistill.eval.Prediction;
import io.tracedistill.eval.TokenDecoder;
import io.tracedistill.grade.Grader;
import io.tracedistill.model.GenerationConfig;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.python.PyText;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Greedy boxed accuracy and parse rate of up to {@code eval_generate_limit} held-out rows on the LoRA being trained,
 * measured exactly as the eval job measures an adapter arm: the eval prompt encoder ({@code str(prompt) +
 * prompt_suffix} through the chat template), the context rule, {@link BatchPlan}'s batches of {@code eval_batch_size},
 * {@link ArmDecoder}'s KV-cache greedy decoding of at most {@code eval_max_new_tokens}, and the {@code eval_scorer}
 * grader against the row's {@code str(answer)}.
 *
 * <pre>
 *   held-out rows (slice order) -> {@link #select} up to N, round-robin over types -> encode once (prompt ids)
 *   -> at each evaluation: batches -> greedy decode (inference forward, no dropout) -> grade -> {@link HeldOutAccuracy}
 * </pre>
 *
 * Decoding reads the LoRA weights and never writes them, records no gradient, and draws nothing from the engine's
 * random generator, so training is bit-identical with and without it ({@code HeldOutAccuracyTrainingTest}).
 */
public final class HeldOutGreedy {

    /** The name the decoded predictions carry as their arm: the adapter being trained. */
    static final String ARM = "training";

    private final List<EncodedPrompt> encoded;
    private final List<EvalBatch> batches;
    private final LanguageModel lm;
    private final GenerationConfig generation;
    private final TokenDecoder text;
    private final Grader grader;
    private final int maxNewTokens;
    private final Collective ranks;

    /**
     * @param rows         the rows to decode (already {@link #select}ed), with unique row indices
     * @param encoder      the eval prompt encoder of the base model
     * @param limit        the eval context rule
     * @param lm           the model being trained (its LoRA layers are read at each evaluation)
     * @param generation   eos and pad ids of the base model
     * @param text         the token decoder of the base model
     * @param scorer       {@code eval_scorer}
     * @param batchSize    {@code eval_batch_size}
     * @param maxNewTokens {@code eval_max_new_tokens}
     * @param ranks        the trainer's ranks ({@link InProcessCollective#single()} in one process)
     */
    public HeldOutGreedy(List<EvalExample> rows, EvalPromptEncoder encoder, ContextLimit limit, LanguageModel lm,
                         GenerationConfig generation, TokenDecoder text, EvalScorer scorer, int batchSize, int maxNewTokens,
                         Collective ranks) {
        List<EncodedPrompt> enc = new ArrayList<>(rows.size());
        for (EvalExample e : rows) {
            enc.add(encoder.encode(e, limit));
        }
        this.encoded = List.copyOf(enc);
        this.batches = BatchPlan.plan(encoded, batchSize);
        this.lm = lm;
        this.generation = generation;
        this.text = text;
        this.grader = scorer.grader();
        this.maxNewTokens = maxNewTokens;
        this.ranks = ranks;
    }

    /**
     * Up to {@code limit} of {@code rows}, taken round-robin over the types in code-point order of the label (each
     * type's rows in the given order), so a small limit still covers every type: types A(3), B(1) and limit 3 give
     * A0, B0, A1.
     */
    public static <T> List<T> select(List<T> rows, Function<T, String> type, int limit) {
        Map<String, Deque<T>> byType = new TreeMap<>(PyText::compareCodePoints);
        for (T e : rows) {
            byType.computeIfAbsent(type.apply(e), t -> new ArrayDeque<>()).add(e);
        }
        List<T> out = new ArrayList<>(Math.min(limit, rows.size()));
        while (out.size() < limit && out.size() < rows.size()) {
            for (Deque<T> q : byType.values()) {
                if (!q.isEmpty() && out.size() < limit) {
                    out.add(q.poll());
                }
            }
        }
        return out;
    }

    /** The rows this evaluates. */
    public int rows() {
        return encoded.size();
    }

    /**
     * Decodes and grades every row on the current weights (call outside a gradient collector, on every rank). With
     * several ranks the decode batches are shared among them (batch b on rank {@code b mod W}; the not-decoded rows
     * counted by rank 0) and the counts summed over them (integers: exact), so every rank returns the counts of every
     * row; a batch decodes the same wherever it runs ({@link BatchPlan}).
     */
    public HeldOutAccuracy evaluate() {
        HeldOutAccuracy mine = HeldOutAccuracy.of(predictions(ranks.rank(), ranks.worldSize()));
        if (ranks.worldSize() == 1) {
            return mine;
        }
        List<String> types = encoded.stream().map(p -> p.example().type()).distinct().sorted(PyText::compareCodePoints).toList();
        long[] counts = new long[types.size() * 3];
        for (int k = 0; k < types.size(); k++) {
            HeldOutAccuracy.Counts c = mine.byType().get(types.get(k));
            if (c != null) {
                counts[3 * k] = c.rows();
                counts[3 * k + 1] = c.parsed();
                counts[3 * k + 2] = c.correct();
            }
        }
        ranks.allReduceSum(counts);
        Map<String, HeldOutAccuracy.Counts> byType = new TreeMap<>(PyText::compareCodePoints);
        int[] all = new int[3];
        for (int k = 0; k < types.size(); k++) {
            byType.put(types.get(k), new HeldOutAccuracy.Counts((int) counts[3 * k], (int) counts[3 * k + 1], (int) counts[3 * k + 2]));
            for (int j = 0; j < 3; j++) {
                all[j] += (int) counts[3 * k + j];
            }
        }
        return new HeldOutAccuracy(new HeldOutAccuracy.Counts(all[0], all[1], all[2]), byType);
    }

    /** One prediction per row (not-decoded rows included), in row-index order. */
    List<Prediction> predictions() {
        return predictions(0, 1);
    }

    /** The predictions of the batches {@code b ≡ rank (mod world)} (rank 0 adds the not-decoded rows), by row index. */
    private List<Prediction> predictions(int rank, int world) {
        ArmModels.ArmModel arm = new ArmModels.ArmModel(new ArmSpec(ARM, ARM), lm, generation);
        List<Prediction> out = new ArrayList<>(encoded.size());
        for (EvalBatch b : batches) {
            if (b.batchId() % world == rank) {
                out.addAll(ArmDecoder.decode(b, arm, text, grader, maxNewTokens));
            }
        }
        for (EncodedPrompt p : encoded) {
            if (!p.decodable() && rank == 0) {
                out.add(Prediction.notDecoded(p, ARM));
            }
        }
        out.sort(java.util.Comparator.comparingLong(Prediction::rowIndex));
        return out;
    }
}
