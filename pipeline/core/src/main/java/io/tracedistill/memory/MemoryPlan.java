package io.tracedistill.memory;

import io.tracedistill.targets.LoraTargets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Device memory of LoRA training on one GPU, per component, from a {@link ModelShape} and
 * {@link PlanSettings}. Every replica of a data-parallel run holds all of it, so more GPUs never
 * shrink it.
 *
 * <pre>
 *   base weights     = parameters × 4 (float32) or 2 (float16) bytes; frozen, no gradients, no optimizer state
 *   LoRA state       = LoRA parameters × 16 bytes: float32 weights 4 + gradients 4 + AdamW m and v 8
 *   activations      = b × 4 bytes × elements (the JVM computes in float32), b = micro-batch, T = max_length:
 *     without checkpointing:  Σ_blocks kept(T) + max_blocks work(T) + final norm (2·T·H) + loss
 *     with checkpointing:     Σ_blocks T·H (each block's input) + max_blocks (kept(T) + work(T)) + final norm + loss
 *     kept(T)  = the block's kept tensors (see ModelShape) + r per token for every LoRA module it runs
 *                (lora_A's output, which lora_B's gradient needs)
 *     work(T)  = what the block's backward adds while it runs (gradients of its largest tensors)
 *     attention: eager attention keeps the probabilities [heads, T, T] and its backward adds the
 *                gradients of probabilities and scores (2·heads·T²); memory-efficient attention (query chunks
 *                of C = ATTENTION_CHUNK, probabilities recomputed in backward) keeps heads·T (the row
 *                log-sum-exp) and works on one chunk: probabilities and both gradients, 3·heads·T·C
 *     loss     = 4 × C × V: logits and log-probs of one chunk of C = min(b·T, LOSS_CHUNK) supervised rows and
 *                their gradients (train runs lm_head + loss + its backward chunk by chunk, CausalLmLoss),
 *                plus the final norm's input and output (2·b·T·H)
 *   reserve          = 1 GB for the CUDA context, cuBLAS workspaces and allocator slack (an assumption)
 * </pre>
 * The figures are estimates of what is inherently needed, not measurements: an implementation that
 * keeps more temporaries needs more. GB = 10^9 bytes.
 */
public final class MemoryPlan {

    /** Supervised rows (tokens) per chunk of the loss: lm_head + log-softmax + their backward, one chunk at a time. */
    public static final int LOSS_CHUNK = 1024;
    /** Query rows per chunk of memory-efficient attention. */
    public static final int ATTENTION_CHUNK = 1024;
    /** CUDA context, workspaces and allocator slack (assumed). */
    public static final long RESERVE_BYTES = 1_000_000_000L;
    /** float32 LoRA weight + gradient + AdamW first and second moments. */
    public static final int LORA_STATE_BYTES_PER_PARAM = 16;
    /** Activations are float32. */
    static final int ACTIVATION_BYTES = 4;
    static final double GB = 1e9;

    private final ModelShape model;
    private final PlanSettings settings;
    private final List<String> targets;
    private final boolean autodetected;
    private final Set<String> matched;

    private MemoryPlan(ModelShape model, PlanSettings settings) {
        this.model = model;
        this.settings = settings;
        this.autodetected = settings.targetModules().isEmpty();
        this.targets = autodetected ? LoraTargets.architectureAware(model.moduleNames()) : settings.targetModules();
        this.matched = new LinkedHashSet<>();
        for (LinearModule l : model.linears()) {
            for (String t : targets) {
                if (LoraTargets.matches(t, l.name())) {
                    matched.add(l.name());
                    break;
                }
            }
        }
    }

    public static MemoryPlan of(ModelShape model, PlanSettings settings) {
        return new MemoryPlan(model, settings);
    }

    public ModelShape model() {
        return model;
    }

    public PlanSettings settings() {
        return settings;
    }

    /** The LoRA target names (configured, or the architecture-aware autodetect's). */
    public List<String> targets() {
        return targets;
    }

    /** True when any target reaches a routed expert. */
    public boolean targetsReachRoutedExperts() {
        return model.linears().stream().anyMatch(l -> l.routedExpert() && matched.contains(l.name()));
    }

    private boolean adapted(LinearModule l, boolean routed) {
        return matched.contains(l.name()) && (routed || !l.routedExpert());
    }

    /** LoRA parameters of the targets, with or without the routed experts. */
    public long loraParams(boolean routed) {
        long p = 0;
        for (LinearModule l : model.linears()) {
            if (adapted(l, routed)) {
                p += l.loraParams(settings.loraRank());
            }
        }
        return p;
    }

    /** Frozen base weights in the configured storage dtype. */
    public long baseBytes() {
        return model.totalParams() * settings.baseDtype().bytes();
    }

    /** LoRA weights + gradients + AdamW state (float32) under the settings' routed-expert choice. */
    public long loraStateBytes() {
        return loraParams(settings.routedExpertLora()) * LORA_STATE_BYTES_PER_PARAM;
    }

    /** Activation bytes of a block: kept for backward (LoRA's rank-r outputs included). */
    private long keptBytes(Block b) {
        long t = settings.maxLength();
        double loraPerToken = 0;
        for (LinearModule l : b.linears()) {
            if (adapted(l, settings.routedExpertLora())) {
                loraPerToken += settings.loraRank() * l.activeFraction();
            }
        }
        long elements = b.saved().elements(t, settings.chunkedAttention() ? 1 : t) + (long) Math.ceil(loraPerToken * t);
        return (long) settings.microBatch() * ACTIVATION_BYTES * elements;
    }

    private long workBytes(Block b) {
        long t = settings.maxLength();
        long scoresPerRow = settings.chunkedAttention() ? 3L * Math.min(t, ATTENTION_CHUNK) : 2 * t;
        return (long) settings.microBatch() * ACTIVATION_BYTES * b.work().elements(t, scoresPerRow);
    }

    private long blockInputBytes() {
        return (long) settings.microBatch() * ACTIVATION_BYTES * settings.maxLength() * model.hidden();
    }

    /** Final norm (input and output) and one loss chunk's logits, log-probs and their gradients. */
    public long lossBytes() {
        long tokens = (long) settings.microBatch() * settings.maxLength();
        return ACTIVATION_BYTES * (2 * tokens * model.hidden() + 4 * Math.min(tokens, LOSS_CHUNK) * model.vocab());
    }

    /** The logits alone: max_length × vocab float32 (per example). */
    public long logitsBytes() {
        return (long) ACTIVATION_BYTES * settings.maxLength() * model.vocab();
    }

    /** The largest block's backward working set (with checkpointing: its recomputed activations too). */
    public long peakBlockBytes(boolean checkpointing) {
        long max = 0;
        for (Block b : model.blocks()) {
            max = Math.max(max, workBytes(b) + (checkpointing ? keptBytes(b) : 0));
        }
        return max;
    }

    /** Activation memory, with or without gradient checkpointing. */
    public long activationBytes(boolean checkpointing) {
        long sum = 0;
        for (Block b : model.blocks()) {
            sum += checkpointing ? blockInputBytes() : keptBytes(b);
        }
        return sum + peakBlockBytes(checkpointing) + lossBytes();
    }

    /** Base + LoRA state + activations (under the settings' checkpointing) + reserve, per GPU. */
    public long totalBytes() {
        return baseBytes() + loraStateBytes() + activationBytes(settings.gradientCheckpointing()) + RESERVE_BYTES;
    }

    /** True when {@link #totalBytes()} fits a device of {@code gb} GB. */
    public boolean fits(double gb) {
        return totalBytes() <= gb * GB;
    }

    // ---- per-component rows ----------------------------------------------------------------------

    /**
     * One row of the plan table.
     *
     * @param component   name ({@code mamba}, {@code embeddings}, ...)
     * @param count       blocks of this kind
     * @param params      parameters
     * @param loraDense   LoRA parameters without the routed experts
     * @param loraAll     LoRA parameters with them
     * @param activations activation bytes kept without checkpointing
     * @param activationsCheckpointed activation bytes kept with checkpointing
     */
    public record Row(String component, int count, long params, long loraDense, long loraAll, long activations,
                      long activationsCheckpointed) {
    }

    /** Rows: embeddings, one per block kind in order of first appearance, final norm + lm_head. */
    public List<Row> rows() {
        Map<String, long[]> acc = new LinkedHashMap<>(); // count, params, loraDense, loraAll, act, actCkpt
        for (Block b : model.blocks()) {
            long[] a = acc.computeIfAbsent(b.kind(), k -> new long[6]);
            a[0]++;
            a[1] += b.params();
            for (LinearModule l : b.linears()) {
                a[2] += adapted(l, false) ? l.loraParams(settings.loraRank()) : 0;
                a[3] += adapted(l, true) ? l.loraParams(settings.loraRank()) : 0;
            }
            a[4] += keptBytes(b);
            a[5] += blockInputBytes();
        }
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("embeddings", 1, model.embeddingParams(), 0, 0, 0, 0));
        acc.forEach((kind, a) -> rows.add(new Row(kind, (int) a[0], a[1], a[2], a[3], a[4], a[5])));
        rows.add(new Row(model.tieWordEmbeddings() ? "final norm (lm_head tied)" : "final norm + lm_head", 1,
                model.finalNormParams() + model.lmHeadParams(), 0, 0, 0, 0));
        return rows;
    }

    /**
     * The per-component Markdown table, totals last (base in the configured dtype, GB = 10^9 bytes); the
     * runtime reserve is not in it (see {@link #totalBytes()}).
     */
    public String table() {
        String dtype = settings.baseDtype().yamlName();
        StringBuilder sb = new StringBuilder();
        sb.append("| component | × | parameters | base ").append(dtype).append(" GB | LoRA params | LoRA params incl. routed experts"
                + " | LoRA w+g+AdamW GB | incl. routed GB | activations GB | with checkpointing GB |\n");
        sb.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        int bytes = settings.baseDtype().bytes();
        for (Row r : rows()) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %,d | %s | %,d | %,d | %s | %s | %s | %s |%n", r.component(),
                    r.count(), r.params(), gb(r.params() * bytes), r.loraDense(), r.loraAll(),
                    gb(r.loraDense() * LORA_STATE_BYTES_PER_PARAM), gb(r.loraAll() * LORA_STATE_BYTES_PER_PARAM),
                    r.activations() == 0 ? "" : gb(r.activations()),
                    r.activationsCheckpointed() == 0 ? "" : gb(r.activationsCheckpointed())));
        }
        sb.append(String.format(Locale.ROOT, "| backward of the largest block (checkpointing: + its recomputed activations)"
                + " | | | | | | | | %s | %s |%n", gb(peakBlockBytes(false)), gb(peakBlockBytes(true))));
        String loss = String.format(Locale.ROOT, "final norm + loss in chunks of %d tokens (whole logits [%d, %d] float32"
                + " = %s GB, never held at once)", LOSS_CHUNK, settings.maxLength(), model.vocab(), gb(logitsBytes()));
        sb.append(String.format(Locale.ROOT, "| %s | | | | | | | | %s | %s |%n", loss, gb(lossBytes()), gb(lossBytes())));
        long dense = loraParams(false);
        long all = loraParams(true);
        sb.append(String.format(Locale.ROOT, "| **total** | | **%,d** | **%s** | **%,d** | **%,d** | **%s** | **%s** | **%s** | **%s** |%n",
                model.totalParams(), gb(baseBytes()), dense, all, gb(dense * LORA_STATE_BYTES_PER_PARAM),
                gb(all * LORA_STATE_BYTES_PER_PARAM), gb(activationBytes(false)), gb(activationBytes(true))));
        return sb.toString();
    }

    static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f", bytes / GB);
    }
}
