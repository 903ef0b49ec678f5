package io.tracedistill.targets;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Architecture-aware LoRA target selection: the reference's
 * {@code tracedistill.lora.architecture_aware_targets(module_names, attention, mamba, mlp)}.
 *
 * <p>A hybrid Mamba-2 + MoE model (Nemotron-H) has SSM projections ({@code in_proj},
 * {@code out_proj}) that an attention-only recipe misses; this picks, from three pools, the
 * projection names that exist as the leaf of some module path. Output order is the pool order
 * attention → Mamba → MLP, de-duplicated, independent of the input order. Pinned by
 * {@code golden/architecture_aware_targets.json}.
 */
public final class LoraTargets {

    /** Attention projections. */
    public static final List<String> ATTENTION_TARGETS = List.of("q_proj", "k_proj", "v_proj", "o_proj");
    /** Mamba-2 SSM projections. */
    public static final List<String> MAMBA_TARGETS = List.of("in_proj", "out_proj");
    /** MLP / MoE expert projections. */
    public static final List<String> MLP_TARGETS = List.of("gate_proj", "up_proj", "down_proj");
    /** The silver-medal solution's list: attention + Mamba + up/down MLP (no gate_proj). */
    public static final List<String> DEFAULT_TARGET_MODULES = List.of(
            "q_proj", "k_proj", "v_proj", "o_proj", "in_proj", "out_proj", "up_proj", "down_proj");

    private LoraTargets() {
    }

    /**
     * The pool names (of the enabled families) that occur as the leaf of some module name.
     * The leaf is the text after the last {@code '.'}: the whole name without a dot, and
     * {@code ""} for a trailing dot.
     */
    public static List<String> architectureAware(Collection<String> moduleNames, boolean attention,
                                                 boolean mamba, boolean mlp) {
        Objects.requireNonNull(moduleNames, "moduleNames");
        Set<String> leaves = new HashSet<>();
        for (String name : moduleNames) {
            leaves.add(leaf(name));
        }
        List<String> pools = new ArrayList<>();
        if (attention) {
            pools.addAll(ATTENTION_TARGETS);
        }
        if (mamba) {
            pools.addAll(MAMBA_TARGETS);
        }
        if (mlp) {
            pools.addAll(MLP_TARGETS);
        }
        List<String> targets = new ArrayList<>();
        for (String name : pools) {
            if (leaves.contains(name) && !targets.contains(name)) {
                targets.add(name);
            }
        }
        return targets;
    }

    /** {@link #architectureAware} with every family enabled (the reference defaults). */
    public static List<String> architectureAware(Collection<String> moduleNames) {
        return architectureAware(moduleNames, true, true, true);
    }

    /** Python {@code name.rsplit(".", 1)[-1]}. */
    public static String leaf(String moduleName) {
        Objects.requireNonNull(moduleName, "module name");
        return moduleName.substring(moduleName.lastIndexOf('.') + 1);
    }

    /**
     * The configured targets that match no module, in configured order, for a warning such as
     * "target_modules [in_proj, out_proj] match no module of this model (Llama has no Mamba
     * layers); they are ignored". Matching follows PEFT's {@code check_target_module_exists} for
     * a list of names: a target matches a module whose full name equals it or ends with
     * {@code "." + target}.
     */
    public static List<String> unmatchedTargets(Collection<String> configuredTargets,
                                                Collection<String> moduleNames) {
        Objects.requireNonNull(configuredTargets, "configuredTargets");
        Objects.requireNonNull(moduleNames, "moduleNames");
        List<String> unmatched = new ArrayList<>();
        for (String target : configuredTargets) {
            if (!matchesAny(target, moduleNames) && !unmatched.contains(target)) {
                unmatched.add(target);
            }
        }
        return unmatched;
    }

    /** PEFT's rule for one target name: a module named exactly {@code target} or ending in {@code .target}. */
    public static boolean matches(String target, String moduleName) {
        return moduleName.equals(target) || moduleName.endsWith("." + target);
    }

    private static boolean matchesAny(String target, Collection<String> moduleNames) {
        for (String name : moduleNames) {
            if (matches(target, name)) {
                return true;
            }
        }
        return false;
    }
}
