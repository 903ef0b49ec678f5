package io.tracedistill.memory;

import io.tracedistill.config.BaseDtype;
import io.tracedistill.config.LoraSection;
import io.tracedistill.config.ModelSection;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.TrainSection;

import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The run settings a memory plan depends on.
 *
 * @param loraRank              LoRA r
 * @param targetModules         LoRA target names (PEFT suffix rule); empty = architecture-aware autodetect
 * @param maxLength             tokens per example (sequences are padded up to the longest in the micro-batch)
 * @param microBatch            examples per micro-batch on one device (the larger of the two phases)
 * @param baseDtype             storage of the frozen base weights
 * @param gradientCheckpointing recompute each block's forward in backward
 * @param chunkedAttention      memory-efficient attention: queries in chunks of {@link MemoryPlan#ATTENTION_CHUNK},
 *                              probabilities recomputed in backward (FlashAttention's memory profile)
 * @param routedExpertLora      LoRA also on the routed experts the targets reach (false = skip them)
 * @param deviceMemoryGb        memory of one device in GB (10^9 bytes), when known
 */
public record PlanSettings(int loraRank, List<String> targetModules, int maxLength, int microBatch,
                           BaseDtype baseDtype, boolean gradientCheckpointing, boolean chunkedAttention,
                           boolean routedExpertLora, OptionalDouble deviceMemoryGb) {

    public PlanSettings {
        targetModules = List.copyOf(targetModules);
        Objects.requireNonNull(baseDtype, "baseDtype");
        Objects.requireNonNull(deviceMemoryGb, "deviceMemoryGb");
        if (loraRank < 1 || maxLength < 1 || microBatch < 1) {
            throw new IllegalArgumentException("lora rank, max_length and micro-batch must be at least 1");
        }
    }

    /** The settings of a run config (attention is never chunked today; routed experts follow the targets). */
    public static PlanSettings of(RunConfig cfg) {
        return of(cfg.model(), cfg.lora(), cfg.train());
    }

    /** The settings of the config sections train reads. */
    public static PlanSettings of(ModelSection model, LoraSection lora, TrainSection train) {
        int batch = Math.max(train.phase1().perDeviceTrainBatchSize(), train.phase2().perDeviceTrainBatchSize());
        return new PlanSettings(lora.rank(), lora.targetModules(), model.maxLength(), batch, model.baseDtype(),
                train.gradientCheckpointing(), false, true,
                model.deviceMemoryGb().map(OptionalDouble::of).orElse(OptionalDouble.empty()));
    }

    public PlanSettings withBaseDtype(BaseDtype d) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, d, gradientCheckpointing,
                chunkedAttention, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withGradientCheckpointing(boolean on) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, baseDtype, on,
                chunkedAttention, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withChunkedAttention(boolean on) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, baseDtype, gradientCheckpointing,
                on, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withRoutedExpertLora(boolean on) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, baseDtype, gradientCheckpointing,
                chunkedAttention, on, deviceMemoryGb);
    }

    public PlanSettings withMaxLength(int tokens) {
        return new PlanSettings(loraRank, targetModules, tokens, microBatch, baseDtype, gradientCheckpointing,
                chunkedAttention, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withMicroBatch(int examples) {
        return new PlanSettings(loraRank, targetModules, maxLength, examples, baseDtype, gradientCheckpointing,
                chunkedAttention, routedExpertLora, deviceMemoryGb);
    }
}
