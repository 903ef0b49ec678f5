package io.tracedistill.eval;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.tracedistill.config.DeviceSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which device an eval task decodes on (this machine has no GPU: the GPU cases check the errors). */
class EvalDeviceTest {

    @Test
    void cpuStaysOnTheCpuWhateverSparkAssigned() {
        assertEquals(Device.cpu(), EvalDevice.resolve(DeviceSpec.parse("cpu"), List.of()));
        assertEquals(Device.cpu(), EvalDevice.resolve(DeviceSpec.parse("cpu"), List.of("1")));
    }

    @Test
    void aGpuThatPyTorchCannotSeeIsAnErrorNamingItsOrigin() {
        int visible = Engine.getInstance().getGpuCount();
        assertEquals("eval needs GPU 7 (assigned by Spark) but PyTorch sees " + visible
                        + " GPU(s) here (build with -Pcuda for CUDA natives); use device: cpu",
                assertThrows(IllegalArgumentException.class, () -> EvalDevice.resolve(DeviceSpec.parse("gpu:0,1"), List.of("7"))).getMessage());
        assertEquals("eval needs GPU 9 (from device: gpu:9) but PyTorch sees " + visible
                        + " GPU(s) here (build with -Pcuda for CUDA natives); use device: cpu",
                assertThrows(IllegalArgumentException.class, () -> EvalDevice.resolve(DeviceSpec.parse("gpu:9"), List.of())).getMessage());
        assertEquals("Spark assigned GPU address 'GPU-5f3a' to this task, which is not a GPU index; check the executor's GPU"
                        + " discovery script",
                assertThrows(IllegalArgumentException.class, () -> EvalDevice.resolve(DeviceSpec.parse("gpu"), List.of("GPU-5f3a"))).getMessage());
    }
}
