package io.tracedistill.train;

import io.tracedistill.config.LrSchedulerType;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LrScheduleTest {

    @Test
    void linearWithoutWarmupStartsAtPeak() {
        LrSchedule s = new LrSchedule(LrSchedulerType.LINEAR, 2e-3, 0, 21);
        assertEquals(2e-3, s.lr(0), 0);
        assertEquals(2e-3 * 20 / 21, s.lr(1), 1e-18);
        assertEquals(2e-3 / 21, s.lr(20), 1e-18);   // last step: 9.5238e-5
        assertEquals(0.0, s.lr(21), 0);
        assertEquals(0.0, s.lr(30), 0);             // clamped at 0 past the end
    }

    @Test
    void linearWithWarmup() {
        LrSchedule s = new LrSchedule(LrSchedulerType.LINEAR, 1.0, 3, 7);
        assertEquals(0.0, s.factor(0), 0);
        assertEquals(1.0 / 3, s.factor(1), 1e-15);
        assertEquals(1.0, s.factor(3), 0);          // (7-3)/(7-3)
        assertEquals(0.5, s.factor(5), 0);          // (7-5)/4
    }

    @Test
    void cosineWithWarmupMatchesTheRecordedPhase2() {
        LrSchedule s = new LrSchedule(LrSchedulerType.COSINE, 5e-5, 2, 12);
        assertEquals(0.0, s.lr(0), 0);              // the first step runs at LR 0
        assertEquals(2.5e-5, s.lr(1), 1e-20);
        assertEquals(5e-5, s.lr(2), 1e-20);         // progress 0 -> cos 0 -> 1
        assertEquals(2.5e-5, s.lr(7), 1e-18);       // progress 5/10 -> 0.5*(1+cos(pi/2))
        // progress 9/10: 0.5*(1+cos(0.9*pi)) = 0.0244717418524; trajectory.json step 12 used 1.2235870926211619e-06
        assertEquals(1.2235870926211619e-06, s.lr(11), 1e-18);
    }

    @Test
    void constantSchedules() {
        LrSchedule c = new LrSchedule(LrSchedulerType.CONSTANT, 1e-4, 5, 10);
        assertEquals(1e-4, c.lr(0), 0);             // HF's plain constant ignores warmup
        LrSchedule w = new LrSchedule(LrSchedulerType.CONSTANT_WITH_WARMUP, 1.0, 4, 10);
        assertEquals(0.25, w.factor(1), 0);
        assertEquals(1.0, w.factor(4), 0);
        assertEquals(1.0, w.factor(9), 0);
    }
}
