package io.tracedistill.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Wall and CPU time of every step of one {@link ModelBenchmark} process, and the two windows {@code scripts/bench-model}
 * reports from it: the cold window (steps {@code warmup .. warmup + steps - 1} of a fresh process, what a short run
 * sees while the JIT compiler is still at work) and the steady window (steps {@code steadyFrom .. runSteps - 1}, once
 * the process's CPU per step has settled). {@code scripts/bench/step_timing.py} computes the same windows for the
 * PyTorch side.
 */
final class StepTimes {

    /** The steps of one process: which of them form the cold and the steady window. */
    record Plan(int warmup, int steps, int steadyFrom, int runSteps) {
        Plan {
            if (warmup < 0 || steps < 1) {
                throw new IllegalArgumentException("--warmup must be >= 0 and --steps >= 1, got " + warmup + " and " + steps);
            }
            if (runSteps < warmup + steps) {
                throw new IllegalArgumentException("--run-steps " + runSteps + " is shorter than the cold window (--warmup "
                        + warmup + " + --steps " + steps + "): give --run-steps >= " + (warmup + steps) + " or 0 for exactly that");
            }
            if (steadyFrom < 0) {
                throw new IllegalArgumentException("--steady-from must be >= 0, got " + steadyFrom);
            }
        }

        /** {@code runSteps} 0 = exactly the cold window. */
        static Plan of(int warmup, int steps, int steadyFrom, int runSteps) {
            return new Plan(warmup, steps, steadyFrom, runSteps == 0 ? warmup + steps : runSteps);
        }

        /** False when the process stops before {@code steadyFrom}: no steady figure. */
        boolean hasSteadyWindow() {
            return steadyFrom < runSteps;
        }
    }

    /** Medians and mean of steps {@code [from, to)}, in ms. */
    record Window(int from, int to, double wallMedian, double wallMean, double cpuMedian) {
        int size() {
            return to - from;
        }
    }

    private final List<double[]> steps = new ArrayList<>(); // {wall ms, cpu ms} per step, in order

    void add(double wallMs, double cpuMs) {
        steps.add(new double[] {wallMs, cpuMs});
    }

    int count() {
        return steps.size();
    }

    /** Steps {@code [from, to)} ({@link Median}: the upper middle one of an even count, as the Python side takes it). */
    Window window(int from, int to) {
        if (from < 0 || to > steps.size() || from >= to) {
            throw new IllegalArgumentException("step window [" + from + ", " + to + ") is empty or outside the "
                    + steps.size() + " steps timed");
        }
        double[] wall = steps.subList(from, to).stream().mapToDouble(s -> s[0]).toArray();
        double[] cpu = steps.subList(from, to).stream().mapToDouble(s -> s[1]).toArray();
        return new Window(from, to, Median.of(wall), Arrays.stream(wall).average().orElseThrow(), Median.of(cpu));
    }

    /** Wall time of all steps, ms: the whole process minus this is its start-up, set-up and exit. */
    double totalWallMs() {
        return steps.stream().mapToDouble(s -> s[0]).sum();
    }
}
