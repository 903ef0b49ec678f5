package io.tracedistill.memory;

import io.tracedistill.config.BaseDtype;
import io.tracedistill.targets.LoraTargets;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether a plan fits a device, and which changes would make it fit: the smallest sets of
 * {@link Change}s that fit at the configured max_length, and the longest max_length that fits with
 * every change. More GPUs are never a fix: each data-parallel replica holds the whole base model.
 */
public final class FitAdvice {

    private FitAdvice() {
    }

    /** Marks a change train does not offer (not built); {@link #FOOTNOTE} explains it. */
    public static final String NOT_YET = " †";

    /** One change to the settings that lowers memory; {@code implemented} = train honours it today. */
    public enum Change {
        BASE_FLOAT16("base_dtype: float16", true),
        GRADIENT_CHECKPOINTING("gradient_checkpointing: true", true),
        CHUNKED_ATTENTION("memory-efficient attention in query chunks of " + MemoryPlan.ATTENTION_CHUNK, false),
        MICRO_BATCH_1("per_device_train_batch_size: 1 (raise gradient_accumulation_steps instead)", true),
        NO_ROUTED_EXPERT_LORA("no LoRA on the routed experts", true);

        private final String text;
        private final boolean implemented;

        Change(String text, boolean implemented) {
            this.text = text;
            this.implemented = implemented;
        }

        /** The change as a config line or a short description, marked {@link #NOT_YET} when train lacks it. */
        public String text() {
            return implemented ? text : text + NOT_YET;
        }

        public boolean implemented() {
            return implemented;
        }
    }

    /** The footnote for {@link #NOT_YET}: which changes are not built (the plan still shows what they would save). */
    public static final String FOOTNOTE = "† not built: " + java.util.Arrays.stream(Change.values())
            .filter(c -> !c.implemented()).map(c -> c.text).collect(Collectors.joining("; "))
            + ". The plan shows what each would save; train does not offer it yet.";

    /** The changes that differ from {@code s} (those already in effect are left out). */
    static List<Change> applicable(MemoryPlan plan, boolean allowRoutedChange) {
        PlanSettings s = plan.settings();
        List<Change> out = new ArrayList<>();
        if (s.baseDtype() == BaseDtype.FLOAT32) {
            out.add(Change.BASE_FLOAT16);
        }
        if (!s.gradientCheckpointing()) {
            out.add(Change.GRADIENT_CHECKPOINTING);
        }
        if (!s.chunkedAttention() && plan.model().blocks().stream().anyMatch(b -> b.saved().attentionHeads() > 0)) {
            out.add(Change.CHUNKED_ATTENTION);
        }
        if (s.microBatch() > 1) {
            out.add(Change.MICRO_BATCH_1);
        }
        if (allowRoutedChange && s.routedExpertLora() && plan.targetsReachRoutedExperts()) {
            out.add(Change.NO_ROUTED_EXPERT_LORA);
        }
        return out;
    }

    /** {@code s} with {@code changes} applied. */
    public static PlanSettings apply(PlanSettings s, Set<Change> changes) {
        PlanSettings out = s;
        for (Change c : changes) {
            out = switch (c) {
                case BASE_FLOAT16 -> out.withBaseDtype(BaseDtype.FLOAT16);
                case GRADIENT_CHECKPOINTING -> out.withGradientCheckpointing(true);
                case CHUNKED_ATTENTION -> out.withChunkedAttention(true);
                case MICRO_BATCH_1 -> out.withMicroBatch(1);
                case NO_ROUTED_EXPERT_LORA -> out.withRoutedExpertLora(false);
            };
        }
        return out;
    }

    /**
     * The smallest change sets that make {@code plan} fit {@code gb} at its max_length, fewest changes
     * first: a set is listed only if no listed set is contained in it.
     */
    public static List<Set<Change>> minimalFixes(MemoryPlan plan, double gb, boolean allowRoutedChange) {
        List<Change> options = applicable(plan, allowRoutedChange);
        List<Set<Change>> subsets = new ArrayList<>();
        for (int mask = 1; mask < (1 << options.size()); mask++) {
            Set<Change> set = EnumSet.noneOf(Change.class);
            for (int i = 0; i < options.size(); i++) {
                if ((mask & (1 << i)) != 0) {
                    set.add(options.get(i));
                }
            }
            subsets.add(set);
        }
        subsets.sort((a, b) -> Integer.compare(a.size(), b.size()));
        List<Set<Change>> fixes = new ArrayList<>();
        for (Set<Change> set : subsets) {
            if (fixes.stream().anyMatch(set::containsAll)) {
                continue;
            }
            if (MemoryPlan.of(plan.model(), apply(plan.settings(), set)).fits(gb)) {
                fixes.add(set);
            }
        }
        return fixes;
    }

    /** The longest max_length (≤ the configured one) that fits {@code gb} under {@code s}; 0 if none. */
    public static int longestFittingMaxLength(ModelShape model, PlanSettings s, double gb) {
        if (!MemoryPlan.of(model, s.withMaxLength(1)).fits(gb)) {
            return 0;
        }
        int lo = 1;
        int hi = s.maxLength();
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (MemoryPlan.of(model, s.withMaxLength(mid)).fits(gb)) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /**
     * Targets that reach the same modules except the routed experts, by PEFT's suffix rule: a target
     * that matches a routed expert is replaced by the {@code parent.leaf} suffixes of the other modules
     * it matches ({@code up_proj} → {@code shared_experts.up_proj}, {@code mixer.up_proj}).
     */
    public static List<String> targetsWithoutRoutedExperts(MemoryPlan plan) {
        Set<String> out = new LinkedHashSet<>();
        List<LinearModule> linears = plan.model().linears();
        for (String t : plan.targets()) {
            boolean reachesRouted = linears.stream().anyMatch(l -> l.routedExpert() && LoraTargets.matches(t, l.name()));
            if (!reachesRouted) {
                out.add(t);
                continue;
            }
            for (LinearModule l : linears) {
                if (!l.routedExpert() && LoraTargets.matches(t, l.name())) {
                    String[] parts = l.name().split("\\.");
                    out.add(parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : l.name());
                }
            }
        }
        return List.copyOf(out);
    }

    /** "a + b + c" in change order. */
    public static String describe(Set<Change> changes) {
        return changes.stream().map(Change::text).collect(Collectors.joining(" + "));
    }

    /**
     * The fit verdict of {@code plan} on one device of {@code gb} GB: fits or not, the minimal fixes with
     * their totals, the longest max_length that fits with every change, or why nothing fits.
     */
    public static String verdict(MemoryPlan plan, double gb, boolean allowRoutedChange) {
        StringBuilder sb = new StringBuilder();
        if (plan.fits(gb)) {
            return sb.append(String.format(Locale.ROOT, "fits (%s GB of %s)", MemoryPlan.gb(plan.totalBytes()), num(gb))).toString();
        }
        sb.append(String.format(Locale.ROOT, "does not fit (%s GB needed)", MemoryPlan.gb(plan.totalBytes())));
        return sb.append(fixes(plan, gb, allowRoutedChange)).toString();
    }

    /** "; fits with a + b (X GB); fits with c (Y GB)", or the longest max_length that fits, or why nothing fits. */
    private static String fixes(MemoryPlan plan, double gb, boolean allowRoutedChange) {
        StringBuilder sb = new StringBuilder();
        List<Set<Change>> fixes = minimalFixes(plan, gb, allowRoutedChange);
        for (Set<Change> f : fixes) {
            long total = MemoryPlan.of(plan.model(), apply(plan.settings(), f)).totalBytes();
            sb.append(String.format(Locale.ROOT, "; fits with %s (%s GB)", describe(f), MemoryPlan.gb(total)));
        }
        if (fixes.isEmpty()) {
            Set<Change> all = EnumSet.noneOf(Change.class);
            all.addAll(applicable(plan, allowRoutedChange));
            PlanSettings best = apply(plan.settings(), all);
            int longest = longestFittingMaxLength(plan.model(), best, gb);
            String with = all.isEmpty() ? "as configured" : "with " + describe(all);
            if (longest == 0) {
                MemoryPlan smallest = MemoryPlan.of(plan.model(), best.withMaxLength(1));
                sb.append(String.format(Locale.ROOT, "; nothing fits, even %s at max_length 1 (%s GB: base weights %s GB"
                                + " in %s, LoRA state %s GB; each data-parallel replica holds all of it, so more GPUs do not help)",
                        with, MemoryPlan.gb(smallest.totalBytes()), MemoryPlan.gb(smallest.baseBytes()),
                        best.baseDtype().yamlName(), MemoryPlan.gb(smallest.loraStateBytes())));
            } else {
                sb.append(String.format(Locale.ROOT, "; no change fits max_length %,d; %s, max_length %,d fits (%s GB)",
                        plan.settings().maxLength(), with, longest,
                        MemoryPlan.gb(MemoryPlan.of(plan.model(), best.withMaxLength(longest)).totalBytes())));
            }
        }
        return sb.toString();
    }

    /**
     * The message {@code train} stops with when {@code plan} does not fit: the device and where its size
     * came from, the verdict with every fix (dropping the routed experts' LoRA included), and the table.
     */
    public static String refusal(MemoryPlan plan, double gb, String deviceSource) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "LoRA training does not fit one device of %s GB (%s): it %s."
                        + " Stopped before loading any weight.%n", num(gb), deviceSource,
                "needs about " + MemoryPlan.gb(plan.totalBytes()) + " GB" + fixes(plan, gb, true)));
        if (plan.targetsReachRoutedExperts() && plan.settings().routedExpertLora()) {
            sb.append(String.format(Locale.ROOT, "No LoRA on the routed experts = target_modules: %s.%n",
                    targetsWithoutRoutedExperts(plan)));
        }
        sb.append(FOOTNOTE).append('\n');
        sb.append("More GPUs (world_size) do not help: each data-parallel replica holds the whole base model.")
                .append(" `tracedistill plan --cfg FILE` prints the full plan.\n\n");
        sb.append(plan.table());
        return sb.toString();
    }

    /** A device size as written: 80, 141, 79.6, 0.001. */
    static String num(double gb) {
        return java.math.BigDecimal.valueOf(gb).stripTrailingZeros().toPlainString();
    }
}
