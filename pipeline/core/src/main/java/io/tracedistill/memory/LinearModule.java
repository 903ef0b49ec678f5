package io.tracedistill.memory;

/**
 * One {@code nn.Linear} of the model, named as in the HF checkpoint
 * ({@code backbone.layers.1.mixer.experts.7.up_proj}), weight {@code [out, in]}.
 *
 * @param name           full module name (PEFT matches LoRA targets against it)
 * @param in             in_features
 * @param out            out_features
 * @param routedExpert   a routed MoE expert's projection (runs on only {@code activeFraction} of the tokens)
 * @param activeFraction share of the tokens this module runs on: 1, or top-k / n_routed_experts for a routed expert
 */
public record LinearModule(String name, long in, long out, boolean routedExpert, double activeFraction) {

    /** A Linear every token goes through. */
    static LinearModule dense(String name, long in, long out) {
        return new LinearModule(name, in, out, false, 1.0);
    }

    /** LoRA parameters at rank r: lora_A {@code [r, in]} + lora_B {@code [out, r]}. */
    public long loraParams(int rank) {
        return (long) rank * (in + out);
    }

    /** The leaf name ({@code up_proj}). */
    public String leaf() {
        return name.substring(name.lastIndexOf('.') + 1);
    }
}
