/**
 * LoRA on top of {@link io.tracedistill.model.CausalLm}, compatible with PEFT.
 *
 * <h2>Public API (stable)</h2>
 * <ul>
 *   <li>{@link io.tracedistill.peft.LoraConfig} {@code (r, alpha, dropout, targetModules | null, useRslora)};
 *       {@code scaling()} = α/r or α/√r.</li>
 *   <li>{@link io.tracedistill.peft.LoraModel#inject(io.tracedistill.model.CausalLm, LoraConfig, long, ai.djl.ndarray.NDManager)}
 *       — fresh adapter (A kaiming-uniform bound 1/√in from a seeded RNG, B = 0); targets matched as PEFT
 *       does; null targets → {@code LoraTargets.architectureAware}. {@code trainableParameters()} → live
 *       arrays under PEFT keys ({@code base_model.model.<module>.lora_A.weight}), sorted;
 *       {@code setTrainable(true)} attaches gradients (base weights never get one); {@code merge()} /
 *       {@code unmerge()}; {@code copyFrom(map, source)}.</li>
 *   <li>{@link io.tracedistill.peft.LoraLinear} — the wrapped layer ({@code base_layer}, {@code lora_A [r,in]},
 *       {@code lora_B [out,r]}).</li>
 *   <li>{@link io.tracedistill.peft.PeftAdapter} — {@code readConfig(dir)}, {@code load(model, dir, manager)}
 *       → LoraModel, {@code save(lora, dir, baseModelNameOrPath)} (finite check first).</li>
 * </ul>
 */
package io.tracedistill.peft;
