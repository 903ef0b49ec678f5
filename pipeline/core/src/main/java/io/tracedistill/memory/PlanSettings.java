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
 * @param chunkedLoss           compute lm_head + loss over {@link MemoryPlan#LOSS_CHUNK} tokens at a time
 * @param chunkedAttention      memory-efficient attention: queries in chunks of {@link MemoryPlan#ATTENTION_CHUNK},
 *                              probabilities recomputed in backward (FlashAttention's memory profile)
 * @param routedExpertLora      LoRA also on the routed experts the targets reach (false = skip them)
 * @param deviceMemoryGb        memory of one device in GB (10^9 bytes), when known
 */
public record PlanSettings(int loraRank, List<String> targetModules, int maxLength, int microBatch,
                           BaseDtype baseDtype, boolean gradientCheckpointing, boolean chunkedLoss, boolean chunkedAttention,
                           boolean routedExpertLora, OptionalDouble deviceMemoryGb) {

    public PlanSettings {
        targetModules = List.copyOf(targetModules);
        Objects.requireNonNull(baseDtype, "baseDtype");
        Objects.requireNonNull(deviceMemoryGb, "deviceMemoryGb");
        if (loraRank < 1 || maxLength < 1 || microBatch < 1) {
            throw new IllegalArgumentException("lora rank, max_length and micro-batch must be at least 1");
        }
    }

    /** The settings of a run config (loss and attention are never chunked today; routed experts follow the targets). */
    public static PlanSettings of(RunConfig cfg) {
        return of(cfg.model(), cfg.lora(), cfg.train());
    }

    /** The settings of the config sections train reads. */
    public static PlanSettings of(ModelSection model, LoraSection lora, TrainSection train) {
        int batch = Math.max(train.phase1().perDeviceTrainBatchSize(), train.phase2().perDeviceTrainBatchSize());
        return new PlanSettings(lora.rank(), lora.targetModules(), model.maxLength(), batch, model.baseDtype(),
                train.gradientCheckpointing(), false, false, true,
                model.deviceMemoryGb().map(OptionalDouble::of).orElse(OptionalDouble.empty()));
    }

    public PlanSettings withBaseDtype(BaseDtype d) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, d, gradientCheckpointing, chunkedLoss,
                chunkedAttention, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withGradientCheckpointing(boolean on) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, baseDtype, on, chunkedLoss,
                chunkedAttention, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withChunkedLoss(boolean on) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, baseDtype, gradientCheckpointing, on,
                chunkedAttention, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withChunkedAttention(boolean on) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, baseDtype, gradientCheckpointing,
                chunkedLoss, on, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withRoutedExpertLora(boolean on) {
        return new PlanSettings(loraRank, targetModules, maxLength, microBatch, baseDtype, gradientCheckpointing,
                chunkedLoss, chunkedAttention, on, deviceMemoryGb);
    }

    public PlanSettings withMaxLength(int tokens) {
        return new PlanSettings(loraRank, targetModules, tokens, microBatch, baseDtype, gradientCheckpointing,
                chunkedLoss, chunkedAttention, routedExpertLora, deviceMemoryGb);
    }

    public PlanSettings withMicroBatch(int examples) {
        return new PlanSettings(loraRank, targetModules, maxLength, examples, baseDtype, gradientCheckpointing,
                chunkedLoss, chunkedAttention, routedExpertLora, deviceMemoryGb);
    }
}
