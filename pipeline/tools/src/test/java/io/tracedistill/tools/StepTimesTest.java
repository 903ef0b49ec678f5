package io.tracedistill.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepTimesTest {

    /** Step s takes 100 - s ms of wall time and 2 (100 - s) ms of CPU: a process warming up. */
    private static StepTimes warming(int n) {
        StepTimes t = new StepTimes();
        for (int s = 0; s < n; s++) {
            t.add(100 - s, 2 * (100 - s));
        }
        return t;
    }

    @Test
    void windowsTakeTheirOwnStepsMedians() {
        StepTimes t = warming(10);
        StepTimes.Window cold = t.window(1, 4); // 99, 98, 97
        assertEquals(98, cold.wallMedian());
        assertEquals(196, cold.cpuMedian());
        assertEquals(98, cold.wallMean(), 1e-12);
        StepTimes.Window even = t.window(6, 10); // 94, 93, 92, 91: the upper middle, as step_timing.py
        assertEquals(93, even.wallMedian());
        assertEquals(4, even.size());
        assertEquals(955, t.totalWallMs(), 1e-9);
    }

    @Test
    void jsonFieldsCarryColdSteadyAndRun() {
        StepTimes.Plan plan = StepTimes.Plan.of(2, 3, 6, 10);
        Map<String, Object> out = new LinkedHashMap<>();
        ModelBenchmark.putWindows(out, plan, warming(10), 512);
        assertEquals(97.0, out.get("ms_per_step_median")); // steps 2, 3, 4
        assertEquals(512 / 0.097, (double) out.get("tokens_per_s"), 0.05);
        assertEquals(4, out.get("steady_steps"));
        assertEquals(93.0, out.get("steady_ms_per_step_median"));
        assertEquals(186.0, out.get("steady_cpu_ms_per_step_median"));
        assertEquals(10, out.get("run_steps"));
    }

    @Test
    void noSteadyWindowWhenTheProcessStopsBeforeIt() {
        StepTimes.Plan plan = StepTimes.Plan.of(3, 20, 40, 0);
        assertEquals(23, plan.runSteps());
        assertFalse(plan.hasSteadyWindow());
        Map<String, Object> out = new LinkedHashMap<>();
        ModelBenchmark.putWindows(out, plan, warming(23), 512);
        assertEquals(0, out.get("steady_steps"));
        assertTrue(out.containsKey("steady_ms_per_step_median"));
        assertEquals(null, out.get("steady_ms_per_step_median"));
    }

    @Test
    void badPlansAndWindowsNameTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StepTimes.Plan.of(3, 20, 40, 10));
        assertTrue(e.getMessage().contains("--run-steps 10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StepTimes.Plan.of(-1, 20, 40, 0));
        assertThrows(IllegalArgumentException.class, () -> warming(5).window(3, 8));
        assertThrows(IllegalArgumentException.class, () -> warming(5).window(3, 3));
    }
}
