/**
 * Memory planning for LoRA training of a Hugging Face model, from its {@code config.json} alone (no
 * weights): {@link io.tracedistill.memory.ModelShape} lists every block's parameters, Linear modules
 * (by their HF module names) and the activations it keeps for backward;
 * {@link io.tracedistill.memory.MemoryPlan} turns that and the run settings into bytes per GPU
 * (base weights, LoRA weights + gradients + AdamW state, activations with and without gradient
 * checkpointing, the loss's logits) and says which changes would make a run fit a device.
 * Pure arithmetic: no DJL, no Spark.
 */
package io.tracedistill.memory;
