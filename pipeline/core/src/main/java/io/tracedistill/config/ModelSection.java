package io.tracedistill.config;

import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;

import static io.tracedistill.config.ConfigKeys.*;

/**
 * The base model and how it is run: what tokenize, train and eval share.
 *
 * @param baseModel          {@code base_model}: HF model directory
 * @param maxLength          {@code max_length}: tokens per training example (keep-start truncation), also eval's prompt budget
 * @param enableThinking     {@code enable_thinking}, passed to the chat template
 * @param chatDate           {@code chat_date}: the date the template's {@code strftime_now} sees; empty = today
 * @param device             {@code device}: where training and eval decoding run
 * @param deviceMemoryGb     {@code device_memory_gb}: memory of one training device in GB; empty = detect on CUDA
 * @param baseDtype          {@code base_dtype}: storage of the frozen base weights
 * @param threads            {@code threads}: intra-op CPU threads, 0 = all cores
 * @param bf16               {@code bf16}: request reduced precision (CPU trains in float32 either way)
 * @param useUnsloth         {@code use_unsloth} (reference only, recorded)
 * @param loadIn4bit         {@code load_in_4bit} (reference only, recorded)
 * @param trustRemoteCode    {@code trust_remote_code} (reference only, recorded)
 * @param attnImplementation {@code attn_implementation} (reference only, recorded)
 */
public record ModelSection(String baseModel, int maxLength, boolean enableThinking, Optional<LocalDate> chatDate,
                           DeviceSpec device, Optional<Double> deviceMemoryGb, BaseDtype baseDtype, int threads, boolean bf16, boolean useUnsloth, boolean loadIn4bit,
                           boolean trustRemoteCode, String attnImplementation) {

    public ModelSection {
        Objects.requireNonNull(baseModel, "baseModel");
        Objects.requireNonNull(chatDate, "chatDate");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(deviceMemoryGb, "deviceMemoryGb");
        Objects.requireNonNull(baseDtype, "baseDtype");
        Objects.requireNonNull(attnImplementation, "attnImplementation");
    }

    static ModelSection from(ConfigValuesByKey v) {
        return new ModelSection(v.get(K_BASE_MODEL), v.get(K_MAX_LENGTH), v.get(K_ENABLE_THINKING), v.get(K_CHAT_DATE),
                v.get(K_DEVICE), v.get(K_DEVICE_MEMORY_GB), v.get(K_BASE_DTYPE), v.get(K_THREADS), v.get(K_BF16), v.get(K_USE_UNSLOTH), v.get(K_LOAD_IN_4BIT),
                v.get(K_TRUST_REMOTE_CODE), v.get(K_ATTN_IMPLEMENTATION));
    }
}
