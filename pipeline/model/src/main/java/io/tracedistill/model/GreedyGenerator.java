package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Greedy (argmax) decoding of a batch of prompts, as HF {@code generate(do_sample=False)}: prompts
 * are left-padded with {@code pad_token_id}, positions are {@code cumsum(mask) - 1}, each row stops
 * after emitting one of the eos ids (the eos token is part of its output, like HF), and finished rows
 * are fed the pad id until every row is done or {@code max_new_tokens} is reached.
 *
 * <p>{@link #generate} uses the KV cache (one prefill, then one token per step);
 * {@link #generateByReforward} re-runs the full sequence every step. Both give the same tokens.
 */
public final class GreedyGenerator {

    /**
     * @param maxNewTokens upper bound of new tokens per row
     * @param eosTokenIds  ids that end a row (empty: never stop early)
     * @param padTokenId   id used for left padding and for finished rows
     */
    public record Options(int maxNewTokens, List<Integer> eosTokenIds, int padTokenId) {
        public Options {
            if (maxNewTokens < 0) {
                throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
            }
            eosTokenIds = List.copyOf(eosTokenIds);
        }

        /** Stops at the model's {@code generation_config.json} eos ids and pads with its pad id. */
        public static Options of(GenerationConfig gc, int maxNewTokens) {
            return new Options(maxNewTokens, gc.eosTokenIds(), gc.padTokenId());
        }
    }

    private GreedyGenerator() {
    }

    /** KV-cache greedy decoding; returns each row's new tokens (up to and including its eos). */
    public static List<int[]> generate(LanguageModel lm, List<int[]> prompts, Options opts, NDManager manager) {
        int b = prompts.size();
        Decoding state = new Decoding(prompts, opts);
        if (opts.maxNewTokens() == 0 || b == 0) {
            return state.results();
        }
        try (NDManager genManager = manager.newSubManager();
             DecodeCache cache = lm.newCache(genManager)) {
            // 1. Prefill: the left-padded prompts, positions cumsum(mask) - 1.
            long[] mask = state.leftPaddedMask();
            long[] next;
            NDArray fullMask;
            try (NDManager step = genManager.newSubManager()) {
                NDArray ids = step.create(state.leftPaddedIds(), new Shape(b, state.maxPrompt));
                NDArray m = step.create(mask, new Shape(b, state.maxPrompt));
                NDArray logits = lm.forward(ids, m, CausalLm.positionsFromMask(m), cache, false);
                next = lastArgmax(logits);
                fullMask = m.duplicate();
                fullMask.attach(genManager);
            }
            long[] position = state.promptLengths();
            // 2. One token per step: feed the previous token, extend the mask with ones.
            while (state.accept(next)) {
                try (NDManager step = genManager.newSubManager()) {
                    NDArray ids = step.create(state.lastTokens(), new Shape(b, 1));
                    NDArray pos = step.create(position.clone(), new Shape(b, 1));
                    NDArray newMask = fullMask.concat(step.ones(new Shape(b, 1), fullMask.getDataType()), 1);
                    newMask.attach(genManager);
                    fullMask.close();
                    fullMask = newMask;
                    NDArray logits = lm.forward(ids, fullMask, pos, cache, false);
                    next = lastArgmax(logits);
                }
                for (int i = 0; i < b; i++) {
                    position[i]++;
                }
            }
        }
        return state.results();
    }

    /** Greedy decoding by re-running the whole (left-padded) sequence each step; no cache. */
    public static List<int[]> generateByReforward(LanguageModel lm, List<int[]> prompts, Options opts, NDManager manager) {
        int b = prompts.size();
        Decoding state = new Decoding(prompts, opts);
        if (opts.maxNewTokens() == 0 || b == 0) {
            return state.results();
        }
        long[] next;
        do {
            try (NDManager step = manager.newSubManager()) {
                int len = state.maxPrompt + state.steps;
                NDArray ids = step.create(state.fullIds(), new Shape(b, len));
                NDArray m = step.create(state.fullMask(), new Shape(b, len));
                NDArray logits = lm.forward(ids, m, CausalLm.positionsFromMask(m), null, false);
                next = lastArgmax(logits);
            }
        } while (state.accept(next));
        return state.results();
    }

    /** Argmax of the last position: {@code [B, T, V] -> long[B]}. */
    private static long[] lastArgmax(NDArray logits) {
        long t = logits.getShape().get(1);
        // A decode step has one position: argmax over it directly (no index op, no NDIndex string to parse).
        NDArray last = t == 1 ? logits : logits.get(":, " + (t - 1) + ", :");
        return last.argMax(-1).toLongArray(); // the only device -> host copy of a step: B ids
    }

    /** Host-side bookkeeping shared by both decoders: prompts, emitted tokens, finished rows. */
    private static final class Decoding {
        final List<int[]> prompts;
        final Options opts;
        final Set<Integer> eos;
        final int maxPrompt;
        final List<List<Integer>> emitted = new ArrayList<>(); // tokens fed back (incl. pads after finishing)
        final boolean[] finished;
        final int[] produced;
        int steps;

        Decoding(List<int[]> prompts, Options opts) {
            this.prompts = prompts;
            this.opts = opts;
            this.eos = new HashSet<>(opts.eosTokenIds());
            int max = 0;
            for (int[] p : prompts) {
                if (p.length == 0) {
                    throw new IllegalArgumentException("Cannot generate from an empty prompt (row "
                            + emitted.size() + ")");
                }
                max = Math.max(max, p.length);
                emitted.add(new ArrayList<>());
            }
            this.maxPrompt = max;
            this.finished = new boolean[prompts.size()];
            this.produced = new int[prompts.size()];
        }

        /** Records the argmax of each row; returns true while another step is needed. */
        boolean accept(long[] next) {
            boolean anyOpen = false;
            for (int i = 0; i < next.length; i++) {
                if (finished[i]) {
                    emitted.get(i).add(opts.padTokenId());
                    continue;
                }
                int tok = (int) next[i];
                emitted.get(i).add(tok);
                produced[i]++;
                if (eos.contains(tok)) {
                    finished[i] = true;
                } else {
                    anyOpen = true;
                }
            }
            steps++;
            return anyOpen && steps < opts.maxNewTokens();
        }

        long[] lastTokens() {
            long[] out = new long[prompts.size()];
            for (int i = 0; i < out.length; i++) {
                List<Integer> e = emitted.get(i);
                out[i] = e.get(e.size() - 1);
            }
            return out;
        }

        long[] promptLengths() {
            long[] out = new long[prompts.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = prompts.get(i).length;
            }
            return out;
        }

        long[] leftPaddedIds() {
            long[] out = new long[prompts.size() * maxPrompt];
            Arrays.fill(out, opts.padTokenId());
            for (int i = 0; i < prompts.size(); i++) {
                int[] p = prompts.get(i);
                int off = i * maxPrompt + (maxPrompt - p.length);
                for (int j = 0; j < p.length; j++) {
                    out[off + j] = p[j];
                }
            }
            return out;
        }

        long[] leftPaddedMask() {
            long[] out = new long[prompts.size() * maxPrompt];
            for (int i = 0; i < prompts.size(); i++) {
                int[] p = prompts.get(i);
                Arrays.fill(out, i * maxPrompt + (maxPrompt - p.length), (i + 1) * maxPrompt, 1L);
            }
            return out;
        }

        long[] fullIds() {
            int len = maxPrompt + steps;
            long[] pad = leftPaddedIds();
            long[] out = new long[prompts.size() * len];
            for (int i = 0; i < prompts.size(); i++) {
                System.arraycopy(pad, i * maxPrompt, out, i * len, maxPrompt);
                for (int j = 0; j < steps; j++) {
                    out[i * len + maxPrompt + j] = emitted.get(i).get(j);
                }
            }
            return out;
        }

        long[] fullMask() {
            int len = maxPrompt + steps;
            long[] pad = leftPaddedMask();
            long[] out = new long[prompts.size() * len];
            for (int i = 0; i < prompts.size(); i++) {
                System.arraycopy(pad, i * maxPrompt, out, i * len, maxPrompt);
                Arrays.fill(out, i * len + maxPrompt, (i + 1) * len, 1L);
            }
            return out;
        }

        List<int[]> results() {
            List<int[]> out = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                out.add(emitted.get(i).subList(0, produced[i]).stream().mapToInt(Integer::intValue).toArray());
            }
            return out;
        }
    }
}
