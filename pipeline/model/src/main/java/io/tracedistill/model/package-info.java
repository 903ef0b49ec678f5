/**
 * Hugging Face decoder-only language models (Llama, Qwen2, Qwen3) on DJL's PyTorch engine, float32 on CPU.
 *
 * <h2>Public API (stable)</h2>
 * <ul>
 *   <li>{@link io.tracedistill.model.HfConfig#load(java.nio.file.Path)} — typed {@code config.json};
 *       unsupported features (rope_scaling, sliding window, non-SiLU, other architectures) fail with the
 *       field and value. {@link io.tracedistill.model.GenerationConfig#load} — eos ids (int or list), pad id.</li>
 *   <li>{@link io.tracedistill.model.SafeTensors} — {@code open(file)} → {@code Reader} ({@code entries()},
 *       {@code load(name, manager)} as float32 NDArray, {@code readFloats(name)}; F16/BF16 widened in Java);
 *       {@code write(file, Map<String, HostTensor>, metadata)} / {@code writeArrays(file, Map<String, NDArray>, metadata)}
 *       byte-compatible with {@code safetensors.torch.save_file}.</li>
 *   <li>{@link io.tracedistill.model.CausalLm#load(java.nio.file.Path, ai.djl.ndarray.NDManager)} — the model;
 *       {@code forward(inputIds)} and
 *       {@code forward(inputIds [B,T], attentionMask [B,past+T] | null, positionIds [B,T] | null, KvCache | null, training)}
 *       → logits {@code [B,T,V]} float32; {@code hiddenStates(..., embeddingHook)} → {@code [B,T,hidden]} and
 *       {@code lmHead(hidden)} for a trainer that applies the head to selected rows only;
 *       {@code parameters()} (HF names), {@code projections()} / {@code replaceProjection} (LoRA slots),
 *       {@code moduleNames()} (PEFT-style names for target matching), {@code positionsFromMask(mask)}.</li>
 *   <li>{@link io.tracedistill.model.KvCache} — per-layer cache for incremental decoding.</li>
 *   <li>{@link io.tracedistill.model.GreedyGenerator} — batched greedy decoding with left padding and
 *       per-row eos stopping: {@code generate} (KV cache) and {@code generateByReforward}.</li>
 * </ul>
 *
 * <h2>Memory</h2>
 * Weights live in the manager passed to {@code load}. Every activation is created in the manager of the
 * {@code inputIds} array, so create inputs in a per-step {@code manager.newSubManager()} and close it.
 *
 * <h2>Performance</h2>
 * Run JVMs that train with glibc's malloc told to keep freed memory
 * ({@code MALLOC_TOP_PAD_=268435456 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_MMAP_THRESHOLD_=33554432}):
 * by default each large autograd buffer is a fresh {@code mmap}, and the page faults make the backward
 * pass 2-3x slower ({@code scripts/bench-model} sets them).
 *
 * <h2>Dtypes</h2>
 * CPU: compute is float32. F32, F16, BF16 and F64 safetensors are accepted; F16/BF16 are widened to float32
 * in Java (DJL is never handed BFLOAT16), F64 narrowed. Integer tensors are rejected.
 */
package io.tracedistill.model;
