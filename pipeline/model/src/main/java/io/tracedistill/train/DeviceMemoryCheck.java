package io.tracedistill.train;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import io.tracedistill.memory.DeviceMemoryException;
import io.tracedistill.memory.FitAdvice;
import io.tracedistill.memory.MemoryPlan;
import io.tracedistill.memory.ModelShape;
import io.tracedistill.memory.PlanSettings;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Stops a training run before any weight is loaded when its memory plan ({@link MemoryPlan}, from
 * {@code config.json} alone) is larger than one device. The device size is {@code device_memory_gb} when set, else the smallest total memory of the
 * training GPUs as CUDA reports it; on CPU without {@code device_memory_gb} nothing is checked. The plan
 * uses the config's lora_rank and target_modules, also when {@code init_adapter} brings its own.
 */
final class DeviceMemoryCheck {

    private static final Logger LOG = System.getLogger(DeviceMemoryCheck.class.getName());

    private DeviceMemoryCheck() {
    }

    static void requireRunnable(TrainRun.Settings cfg, Path modelDir, List<Device> devices) {
        // 1. The device size: configured, else detected on the GPUs.
        double gb;
        String source;
        if (cfg.model().deviceMemoryGb().isPresent()) {
            gb = cfg.model().deviceMemoryGb().get();
            source = "device_memory_gb";
        } else if (devices.get(0).isGpu()) {
            long min = Long.MAX_VALUE;
            try {
                for (Device d : devices) {
                    min = Math.min(min, CudaUtils.getGpuMemory(d).getMax());
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot read the GPU memory (" + e.getMessage() + "); set device_memory_gb to check"
                        + " the memory plan before loading weights");
                return;
            }
            gb = min / 1e9;
            source = "total memory of " + (devices.size() == 1 ? devices.get(0) : "the smallest of " + devices) + " as CUDA reports it";
        } else {
            return;
        }
        // 2. The plan, from config.json only.
        MemoryPlan plan = MemoryPlan.of(ModelShape.load(modelDir), PlanSettings.of(cfg.model(), cfg.lora(), cfg.train()));
        if (!plan.fits(gb)) {
            throw new DeviceMemoryException(FitAdvice.refusal(plan, gb, source));
        }
        LOG.log(Level.INFO, String.format(Locale.ROOT, "memory plan: about %.2f GB per device of %.2f GB (%s)",
                plan.totalBytes() / 1e9, gb, source));
    }
}
