package io.tracedistill.eval;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.tracedistill.config.DeviceSpec;
import java.util.List;

/**
 * The device an eval task decodes on, from the config's {@code device} and the GPUs Spark assigned to the task.
 *
 * <pre>
 *   cpu                      the CPU (also on a CUDA build)
 *   gpu | gpu:i,j            the first GPU Spark assigned to this task (spark.task.resource.gpu.amount with a
 *                            discovery script), else the first listed GPU (gpu = gpu:0)
 * </pre>
 * So one executor with several GPUs runs one task per GPU, each on its own device with its own cached model.
 */
public final class EvalDevice {

    private EvalDevice() {
    }

    /**
     * The device for {@code device} given the GPU addresses Spark assigned to the running task (empty outside
     * Spark or without GPU scheduling). A GPU that PyTorch cannot see is an error that says how to fix it.
     */
    public static Device resolve(DeviceSpec device, List<String> assignedGpus) {
        List<Integer> listed = device.gpuIndices();
        if (listed.isEmpty()) {
            return Device.cpu();
        }
        int gpu;
        String origin;
        if (!assignedGpus.isEmpty()) {
            try {
                gpu = Integer.parseInt(assignedGpus.get(0).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Spark assigned GPU address '" + assignedGpus.get(0) + "' to this task, which is not"
                        + " a GPU index; check the executor's GPU discovery script", e);
            }
            origin = "assigned by Spark";
        } else {
            gpu = listed.get(0);
            origin = "from device: " + device;
        }
        int visible = Engine.getInstance().getGpuCount();
        if (gpu >= visible) {
            throw new IllegalArgumentException("eval needs GPU " + gpu + " (" + origin + ") but PyTorch sees " + visible
                    + " GPU(s) here (build with -Pcuda for CUDA natives); use device: cpu");
        }
        return Device.gpu(gpu);
    }
}
