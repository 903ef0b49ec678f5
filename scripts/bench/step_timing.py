"""The step loop of the PyTorch twins of io.tracedistill.tools.ModelBenchmark (torch_reference.py,
nemotron_h_reference.py): the same options, the same token ids and the same JSON fields as the Java side
(ModelBenchmark#putWindows, StepTimes), so scripts/bench-model compares like with like.

One process runs --run-steps steps (0 = --warmup + --steps) and reports three figures:
  cold    median of steps warmup .. warmup+steps-1 (what the benchmark always measured; on the JVM the JIT compiler
          is still at work then)
  steady  median of steps steady_from .. run_steps-1 (null when the process stops before steady_from)
  whole   steps_wall_ms and process_cpu_ms here; scripts/bench-model times the process from start to exit itself.
Not used by tests or CI.
"""
import json
import resource
import sys
import time


def add_args(p):
    """The step options ModelBenchmark takes, with its defaults."""
    for k, v in dict(steps=20, warmup=3, steady_from=40, run_steps=0, threads=2, seed=0).items():
        p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    p.add_argument("--step-log", default="false")


def java_random_ints(seed, n, bound):
    """java.util.Random(seed).nextInt(bound), n times: the ids ModelBenchmark draws, so both sides see one batch."""
    mask = (1 << 48) - 1
    state = (seed ^ 0x5DEECE66D) & mask

    def next31():
        nonlocal state
        state = (state * 0x5DEECE66D + 0xB) & mask
        return state >> 17

    out = []
    while len(out) < n:
        if bound & (bound - 1) == 0:
            out.append((bound * next31()) >> 31)
            continue
        bits = next31()
        val = bits % bound
        if bits - val + (bound - 1) < (1 << 31):  # Java rejects the draws whose int sum overflows
            out.append(val)
    return out


def _window(steps, lo, hi):
    """Median wall and CPU ms of steps [lo, hi) (the upper middle of an even count, as StepTimes), and mean wall."""
    wall = sorted(s[0] for s in steps[lo:hi])
    cpu = sorted(s[1] for s in steps[lo:hi])
    return wall[len(wall) // 2], sum(wall) / len(wall), cpu[len(cpu) // 2]


def run(step, a, fields):
    """Runs step() (one forward + loss + backward, returns the loss as a float) for the run's steps and prints the
    JSON line: fields (impl, model, parameter counts ...) then the timing fields."""
    run_steps = a.run_steps or a.warmup + a.steps
    if run_steps < a.warmup + a.steps:
        sys.exit("--run-steps %d is shorter than the cold window (--warmup %d + --steps %d)" % (run_steps, a.warmup, a.steps))
    steps, loss = [], None
    for s in range(run_steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step()
        t1, c1 = time.perf_counter(), time.process_time()
        steps.append(((t1 - t0) * 1000, (c1 - c0) * 1000))
        if a.step_log == "true":
            print("step %d wall %.1f cpu %.1f" % (s, steps[-1][0], steps[-1][1]), file=sys.stderr)
    tokens = a.batch * a.seq
    med, mean, cpu = _window(steps, a.warmup, a.warmup + a.steps)
    steady = _window(steps, a.steady_from, run_steps) if a.steady_from < run_steps else None
    out = dict(fields)
    out.update(batch=a.batch, seq=a.seq, threads=a.threads, warmup=a.warmup, steps=a.steps,
               ms_per_step_median=round(med, 2), ms_per_step_mean=round(mean, 2), cpu_ms_per_step_median=round(cpu, 2),
               tokens_per_s=round(tokens / (med / 1000), 1), steady_from=a.steady_from,
               steady_steps=run_steps - a.steady_from if steady else 0,
               steady_ms_per_step_median=round(steady[0], 2) if steady else None,
               steady_cpu_ms_per_step_median=round(steady[2], 2) if steady else None,
               run_steps=run_steps, steps_wall_ms=round(sum(s[0] for s in steps), 2),
               # the whole process's CPU up to here: interpreter start, imports, model set-up and every step
               process_cpu_ms=round(time.process_time() * 1000, 2), loss=round(loss, 5),
               peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print(json.dumps(out))
