#!/usr/bin/env python3
"""Per-stage profile of one Spark application from its event log (Spark's own EventLoggingListener, a SparkListener).

Usage: stage_profile.py EVENT_LOG LABEL [PROCESS_START_EPOCH_S PROCESS_END_EPOCH_S]

Prints, for each completed stage in submission order: its job, name (the call site), tasks, wall time (stage
submission to completion), the summed task run time and task CPU time, GC time, bytes read from input, written to
output, shuffle written and read, and records read/written. With the process's start and end (epoch seconds, as the
benchmark measured them around the JVM), it also splits the whole process into JVM + Spark start-up (process start
to the SparkContext's start), time inside stages, time on the driver between stages (planning, the driver's own
work, file commits and renames), and shutdown (application end to process end).
Used by scripts/bench-prepare whole-process (BENCH_PROFILE=1).
"""
import json
import sys


def metric(stage_info, name):
    for a in stage_info.get("Accumulables", []):
        if a.get("Name") == name:
            try:
                return int(a.get("Value", 0))
            except (TypeError, ValueError):
                return 0
    return 0


def mb(n):
    return "%.1f" % (n / 1e6)


def main():
    path, label = sys.argv[1], sys.argv[2]
    t_start = float(sys.argv[3]) if len(sys.argv) > 3 else None
    t_end = float(sys.argv[4]) if len(sys.argv) > 4 else None
    app_start = app_end = None
    stage_job = {}
    stages = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            ev = e.get("Event")
            if ev == "SparkListenerApplicationStart":
                app_start = e["Timestamp"] / 1000.0
            elif ev == "SparkListenerApplicationEnd":
                app_end = e["Timestamp"] / 1000.0
            elif ev == "SparkListenerJobStart":
                for sid in e.get("Stage IDs", []):
                    stage_job[sid] = e["Job ID"]
            elif ev == "SparkListenerStageCompleted":
                stages.append(e["Stage Info"])
    stages.sort(key=lambda s: (s.get("Submission Time", 0), s["Stage ID"]))
    print("== per-stage profile: %s ==" % label)
    cols = ("job", "stage", "name", "tasks", "gap s", "wall s", "task s", "cpu s", "gc s", "in MB", "out MB",
            "shufW MB", "shufR MB", "rec in", "rec out")
    print("%4s %5s %-38s %5s %6s %7s %7s %7s %6s %8s %8s %8s %8s %9s %9s" % cols)
    prev_end = app_start * 1000 if app_start is not None else None
    tot = dict(wall=0.0, task=0.0, cpu=0.0, gc=0.0, inb=0, outb=0, sw=0, sr=0)
    intervals = []
    for s in stages:
        sub, done = s.get("Submission Time"), s.get("Completion Time")
        wall = (done - sub) / 1000.0 if sub and done else 0.0
        if sub and done:
            intervals.append((sub / 1000.0, done / 1000.0))
        run = metric(s, "internal.metrics.executorRunTime") / 1000.0
        cpu = metric(s, "internal.metrics.executorCpuTime") / 1e9
        gc = metric(s, "internal.metrics.jvmGCTime") / 1000.0
        inb = metric(s, "internal.metrics.input.bytesRead")
        outb = metric(s, "internal.metrics.output.bytesWritten")
        sw = metric(s, "internal.metrics.shuffle.write.bytesWritten")
        sr = metric(s, "internal.metrics.shuffle.read.localBytesRead") + metric(
            s, "internal.metrics.shuffle.read.remoteBytesRead")
        rin = metric(s, "internal.metrics.input.recordsRead") + metric(s, "internal.metrics.shuffle.read.recordsRead")
        rout = metric(s, "internal.metrics.output.recordsWritten") + metric(
            s, "internal.metrics.shuffle.write.recordsWritten")
        name = s.get("Stage Name", "")[:38]
        # gap: driver time since the previous stage ended (or since the SparkContext started), before this one.
        gap = (sub - prev_end) / 1000.0 if sub and prev_end is not None else 0.0
        if done:
            prev_end = max(prev_end or 0, done)
        print("%4s %5d %-38s %5d %6.2f %7.2f %7.2f %7.2f %6.2f %8s %8s %8s %8s %9d %9d" % (
            stage_job.get(s["Stage ID"], "?"), s["Stage ID"], name, s.get("Number of Tasks", 0), gap, wall, run, cpu, gc,
            mb(inb), mb(outb), mb(sw), mb(sr), rin, rout))
        for k, v in (("wall", wall), ("task", run), ("cpu", cpu), ("gc", gc), ("inb", inb), ("outb", outb),
                     ("sw", sw), ("sr", sr)):
            tot[k] += v
    print("%4s %5s %-38s %5s %6s %7.2f %7.2f %7.2f %6.2f %8s %8s %8s %8s" % (
        "", "", "all stages (wall summed)", "", "", tot["wall"], tot["task"], tot["cpu"], tot["gc"], mb(tot["inb"]),
        mb(tot["outb"]), mb(tot["sw"]), mb(tot["sr"])))
    # Time covered by at least one running stage (stages of one job may overlap).
    covered = 0.0
    last = None
    for a, b in sorted(intervals):
        if last is None or a > last:
            covered += b - a
            last = b
        elif b > last:
            covered += b - last
            last = b
    if app_start is not None and app_end is not None:
        inside = app_end - app_start
        tail = app_end - prev_end / 1000.0 if prev_end is not None else 0.0
        print("SparkContext start -> application end %.2f s: inside stages %.2f s, driver between/around stages %.2f s"
              " (after the last stage: %.2f s)" % (inside, covered, inside - covered, tail))
        if t_start is not None and t_end is not None:
            print("whole process %.2f s = JVM + Spark start-up %.2f s + the above %.2f s + shutdown %.2f s"
                  % (t_end - t_start, app_start - t_start, inside, t_end - app_end))


if __name__ == "__main__":
    main()
