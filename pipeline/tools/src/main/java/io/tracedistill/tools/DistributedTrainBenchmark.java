package io.tracedistill.tools;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.model.HfConfig;
import io.tracedistill.model.NativeExitGuard;
import io.tracedistill.spark.train.XgboostCollective;
import io.tracedistill.train.AdamW;
import io.tracedistill.train.CausalLmLoss;
import io.tracedistill.train.Collective;
import io.tracedistill.train.InProcessCollective;
import io.tracedistill.train.LoraTrainableModel;
import io.tracedistill.train.RankSync;
import io.tracedistill.train.TrainableModel;

import ml.dmlc.xgboost4j.java.InPlaceAllReduce;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Data-parallel training steps on W rank processes (one JVM each, joined by the xgboost collective of
 * {@code train_on: executors}), for {@code scripts/bench-train-distributed}. Every optimizer step takes
 * {@code --micro-batches} M micro-batches of {@code --batch} × {@code --seq} tokens; micro-batch m runs on rank
 * m mod W (so W = 1 and W = 2 train the same effective batch, as the trainer does). A step on a rank: forward +
 * backward of its micro-batches, the all-reduce of the gradients and losses ({@link RankSync}, the trainer's own),
 * AdamW. Model: a random Qwen2-shaped LoRA model ({@link ModelBenchmark#randomLora}), the same on every rank.
 *
 * <pre>
 * DistributedTrainBenchmark --ranks 2 --micro-batches 2 --hidden 512 --ff 3584 --heads 8 --kv-heads 4 --layers 4
 *                           --vocab 259 --seq 128 --batch 4 --rank 8 --steps 10 --warmup 2 --threads 1
 * </pre>
 *
 * The launcher (this main without {@code --rank-of}) starts a tracker, starts the W rank JVMs, measures their
 * whole-process time (JVM start to the last exit), times a raw loopback TCP copy of the all-reduce's bytes, and
 * prints one JSON line. Each step's all-reduce is timed after a barrier (a one-element all-reduce), so the time a
 * rank waits for the slower one is reported apart ({@code allreduce_wait_ms_median}) from the all-reduce itself, and
 * within it the native call ({@code allreduce_native_ms_median}) from the copies between gradients and buffer. The
 * barrier sits right before the native call ({@code --barrier-at call}), after RankSync's copy into the flat buffer:
 * with it before that copy ({@code --barrier-at copy}, the earlier method) the native call also waited while the peer,
 * just woken from the barrier, copied its gradients (same run, steps alternated, under load: 7.74 ms against 3.72 ms).
 *
 * <p>Diagnostics for the step's all-reduce: {@code --settled-ms 100} also times the same bytes once per step after the
 * rank idled that long (outside the step's time: {@code allreduce_settled_ms_median}); {@code --slow-start-after-idle
 * 1,0} alternates the namespace's TCP setting step by step ({@code allreduce_native_ms_by_case}); {@code --diagnose}
 * prints per step the ms each kind of thread of the rank (main, xgboost's socket loop, JIT compilers, GC) spent on a
 * CPU and waiting for one during the all-reduce.
 *
 * <p>{@code --sweep 0.5,2,8,32,128} (MB) instead times the collective alone on W ranks ({@link #sweep}), each size
 * {@code --reps} times after a barrier, next to loopback copies of the same bytes; one JSON line per size and variant.
 *
 * <p>Bandwidth, as NCCL's tests define it: algorithm bandwidth {@code algbw = N / t} for an all-reduce of N bytes
 * taking t; bus bandwidth {@code busbw = algbw × 2(W−1)/W}, which equals algbw for W = 2. With 2 ranks each rank sends
 * N bytes and receives N bytes (ring: N/2 in the reduce-scatter, N/2 in the all-gather, each way), so a copy of N
 * bytes one way is not the whole traffic: the duplex copy (N each way at once) is. Both are printed. The collective
 * listens on all interfaces: the script runs this in a loopback-only network namespace when it can.
 */
public final class DistributedTrainBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DistributedTrainBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (String[] kv : new String[][] {{"ranks", "2"}, {"micro-batches", "2"}, {"hidden", "256"}, {"ff", "1280"}, {"heads", "4"},
                {"kv-heads", "2"}, {"layers", "4"}, {"vocab", "259"}, {"seq", "128"}, {"batch", "4"}, {"rank", "8"}, {"steps", "10"},
                {"warmup", "2"}, {"threads", "1"}, {"seed", "0"}, {"sweep", ""}, {"reps", "10"},
                {"chunks", Integer.toString(XgboostCollective.MAX_FLOATS_PER_CALL)}, {"before", "none"}, {"slow-start-after-idle", ""},
                {"barrier-at", "call"}, {"align", "any"}, {"settled-ms", "0"}, {"diagnose", "false"}, {"float-array", "true"},
                {"rank-of", ""}, {"tracker", ""}}) {
            a.put(kv[0], kv[1]);
        }
        for (int i = 0; i + 1 < args.length; i += 2) {
            String key = args[i].replaceFirst("^--", "");
            if (!a.containsKey(key)) {
                throw new IllegalArgumentException("Unknown option --" + key + "; known: " + a.keySet());
            }
            a.put(key, args[i + 1]);
        }
        if (a.get("rank-of").isEmpty()) {
            launch(a, args);
        } else {
            rank(a);
        }
    }

    /** Starts the tracker and the rank JVMs, prints rank 0's figures with the whole-process time and the loopback copy. */
    private static void launch(Map<String, String> a, String[] args) throws Exception {
        int w = Integer.parseInt(a.get("ranks"));
        int micro = Integer.parseInt(a.get("micro-batches"));
        if (!a.get("sweep").isEmpty() && w < 2) {
            throw new IllegalArgumentException("--sweep times the collective: it needs --ranks 2 or more, got " + w);
        }
        if (w < 1 || micro % w != 0) {
            throw new IllegalArgumentException("--micro-batches " + micro + " must be a multiple of --ranks " + w
                    + " (each rank runs the same number of micro-batches per step)");
        }
        long t0 = System.nanoTime();
        XgboostCollective.Tracker tracker = w > 1 ? XgboostCollective.Tracker.start("127.0.0.1", w, Duration.ofSeconds(120)) : null;
        List<Process> ranks = new ArrayList<>();
        try {
            for (int r = 0; r < w; r++) {
                List<String> cmd = new ArrayList<>();
                cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DistributedTrainBenchmark.class.getName()));
                cmd.addAll(List.of(args));
                cmd.addAll(List.of("--rank-of", Integer.toString(r), "--tracker", tracker == null ? "" : tracker.address().toString()));
                ranks.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
            }
            List<String> lines = new ArrayList<>();
            List<String> rank0 = new ArrayList<>();
            for (Process p : ranks) {
                String last = "";
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = in.readLine()) != null; ) {
                        last = l;
                        if (p == ranks.get(0)) {
                            rank0.add(l);
                        }
                    }
                }
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("a rank process failed with status " + p.exitValue());
                }
                lines.add(last);
            }
            if (!a.get("sweep").isEmpty()) {
                printSweep(rank0, Integer.parseInt(a.get("reps")));
                return;
            }
            double wholeS = (System.nanoTime() - t0) / 1e9;
            JsonNode r0 = JSON.readTree(lines.get(0));
            for (String l : lines) {
                if (JSON.readTree(l).path("weights_checksum").asLong() != r0.path("weights_checksum").asLong()) {
                    throw new IllegalStateException("the ranks' LoRA weights differ after training: " + lines);
                }
            }
            long bytes = r0.path("allreduce_bytes").asLong();
            int reps = Integer.parseInt(a.get("reps"));
            LoopbackCopy.Rate oneWay = LoopbackCopy.measure(bytes, reps, false);
            LoopbackCopy.Rate duplex = LoopbackCopy.measure(bytes, reps, true);
            double stepMs = r0.path("step_ms_median").asDouble();
            int tokensPerStep = micro * Integer.parseInt(a.get("batch")) * Integer.parseInt(a.get("seq"));
            double arMs = r0.path("allreduce_ms_median").asDouble();
            System.out.println(String.format(Locale.ROOT,
                    "{\"ranks\":%d,\"micro_batches_per_step\":%d,\"tokens_per_step\":%d,\"base_params\":%d,\"lora_params\":%d,"
                            + "\"step_ms_median\":%.2f,\"steps_per_s\":%.3f,\"tokens_per_s\":%.1f,\"compute_ms_median\":%.2f,"
                            + "\"allreduce_wait_ms_median\":%.3f,\"allreduce_ms_median\":%.3f,\"allreduce_native_ms_median\":%.3f,"
                            + "\"allreduce_settled_ms_median\":%.3f,\"allreduce_native_ms_by_case\":%s,"
                            + "\"allreduce_bytes\":%d,\"allreduce_MBps\":%.1f,"
                            + "\"loopback_copy_MBps\":%.1f,\"loopback_duplex_MBps\":%.1f,"
                            + "\"whole_process_s\":%.2f,\"loss\":%.6f,\"weights_checksum\":%d}",
                    w, micro, tokensPerStep, r0.path("base_params").asLong(), r0.path("lora_params").asLong(), stepMs, 1000 / stepMs,
                    tokensPerStep / (stepMs / 1000), r0.path("compute_ms_median").asDouble(), r0.path("wait_ms_median").asDouble(), arMs,
                    r0.path("allreduce_native_ms_median").asDouble(), r0.path("allreduce_settled_ms_median").asDouble(),
                    r0.path("allreduce_native_ms_by_case").toString(), bytes, w > 1 && arMs > 0 ? bytes / 1e6 / (arMs / 1000) : 0.0, oneWay.medianMBs(), duplex.medianMBs(), wholeS,
                    r0.path("loss").asDouble(), r0.path("weights_checksum").asLong()));
        } finally {
            for (Process p : ranks) {
                p.destroyForcibly();
            }
            if (tracker != null) {
                tracker.close();
            }
        }
    }

    /** One rank: the training steps, then one JSON line of its medians. */
    private static void rank(Map<String, String> a) throws Exception {
        int threads = Integer.parseInt(a.get("threads"));
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        int w = Integer.parseInt(a.get("ranks"));
        int rank = Integer.parseInt(a.get("rank-of"));
        int micro = Integer.parseInt(a.get("micro-batches"));
        int batch = Integer.parseInt(a.get("batch"));
        int seq = Integer.parseInt(a.get("seq"));
        int vocab = Integer.parseInt(a.get("vocab"));
        int steps = Integer.parseInt(a.get("steps"));
        int warmup = Integer.parseInt(a.get("warmup"));
        long seed = Long.parseLong(a.get("seed"));
        HfConfig cfg = ModelBenchmark.qwen2(Integer.parseInt(a.get("hidden")), Integer.parseInt(a.get("ff")),
                Integer.parseInt(a.get("layers")), Integer.parseInt(a.get("heads")), Integer.parseInt(a.get("kv-heads")), vocab);
        try (NDManager manager = NDManager.newBaseManager();
             Collective collective = w == 1 ? InProcessCollective.single()
                     : XgboostCollective.join(XgboostCollective.TrackerAddress.parse(a.get("tracker")), rank, Duration.ofSeconds(120))) {
            if (!a.get("sweep").isEmpty()) {
                sweep((XgboostCollective) collective, a);
                return;
            }
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            ModelBenchmark.RandomLora random = ModelBenchmark.randomLora(cfg, Integer.parseInt(a.get("rank")), seed, manager);
            TrainableModel model = new LoraTrainableModel(random.lora());
            List<NDArray> params = new ArrayList<>(model.trainableParameters().values());
            long loraParams = params.stream().mapToLong(NDArray::size).sum();
            NativeTimed timed = new NativeTimed(collective);
            RankSync sync = new RankSync(timed);
            // Micro-batch m of every step: fixed random tokens, labels = inputs.
            long[][] ids = new long[micro][batch * seq];
            for (int m = 0; m < micro; m++) {
                Random rnd = new Random(seed * 1000 + m);
                for (int i = 0; i < batch * seq; i++) {
                    ids[m][i] = rnd.nextInt(vocab);
                }
            }
            List<Double> stepMs = new ArrayList<>();
            List<Double> waitMs = new ArrayList<>();
            List<Double> arMs = new ArrayList<>();
            List<Double> arNativeMs = new ArrayList<>();
            List<Double> settledMs = new ArrayList<>();
            List<StepCase> cases = StepCase.all(a);
            Map<StepCase, List<Double>> nativeByCase = new LinkedHashMap<>();
            long settleMs = Long.parseLong(a.get("settled-ms"));
            boolean diagnose = Boolean.parseBoolean(a.get("diagnose"));
            ByteBuffer settled = w > 1 && settleMs > 0
                    ? ByteBuffer.allocateDirect(Math.toIntExact((loraParams + micro) * Float.BYTES)).order(ByteOrder.nativeOrder()) : null;
            double lastLoss = 0;
            try (AdamW optimizer = AdamW.referenceDefaults(params)) {
                for (int s = 0; s < warmup + steps; s++) {
                    StepCase stepCase = cases.get(s % cases.size());
                    if (!stepCase.slowStartAfterIdle().isEmpty() && rank == 0) {
                        setSlowStartAfterIdle(stepCase.slowStartAfterIdle());
                    }
                    long t0 = System.nanoTime();
                    float[] losses = new float[micro];
                    int numItems = Math.toIntExact(collective.allReduceSum((long) (micro / w) * batch * (seq - 1)));
                    List<NDArray> grads = null;
                    for (int m = rank; m < micro; m += w) {
                        int[] labels = Arrays.stream(ids[m]).mapToInt(x -> (int) x).toArray();
                        CausalLmLoss.Targets targets = CausalLmLoss.targets(labels, batch, seq);
                        try (NativeExitGuard.Section guard = NativeExitGuard.enter(); // a killed rank ends cleanly
                             NDManager mb = manager.newSubManager();
                             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray x = mb.create(ids[m], new Shape(batch, seq));                  // [B, T]
                            NDArray mask = mb.ones(new Shape(batch, seq), DataType.INT64);        // [B, T]
                            NDArray loss = CausalLmLoss.backward(model, gc, model.hiddenStates(x, mask, null), targets, numItems,
                                    CausalLmLoss.CHUNK_ROWS); // scalar, back-propagated as the trainer does
                            losses[m] = loss.getFloat();
                        }
                    }
                    grads = params.stream().map(NDArray::getGradient).toList();
                    // A barrier first, so the all-reduce is timed apart from the wait for the slower rank: by default right
                    // before the native call (after RankSync's copy into the flat buffer), else before that copy: then the
                    // native call also waits while the peer, woken from the barrier, copies its gradients.
                    timed.reset(w > 1 && stepCase.barrierAt().equals("call"));
                    long b0 = System.nanoTime();
                    if (w > 1 && stepCase.barrierAt().equals("copy")) {
                        collective.allReduceSum(0L);
                    }
                    long a0 = System.nanoTime();
                    Map<String, Long> threads0 = diagnose ? ThreadTimes.read() : Map.of();
                    sync.sumGradientsAndLosses(grads, losses);
                    long a1 = System.nanoTime();
                    if (diagnose) {
                        System.err.println(String.format(Locale.ROOT, "rank %d step %d (%s): all-reduce %.2f ms, native %.2f ms;"
                                        + " ms on CPU / waiting for a CPU by thread kind:%s", rank, s, stepCase, (a1 - a0 - timed.barrierNanos) / 1e6,
                                timed.nanos / 1e6, ThreadTimes.byKind(threads0, ThreadTimes.read())));
                    }
                    optimizer.step(grads, 1e-3);
                    for (NDArray g : grads) {
                        g.subi(g);
                    }
                    long t1 = System.nanoTime();
                    if (settled != null) {
                        // Outside the step's time: the same bytes once the rank has been idle settleMs, after a barrier.
                        Thread.sleep(settleMs);
                        collective.allReduceSum(0L);
                        long p0 = System.nanoTime();
                        collective.allReduceSumFloat32(settled.clear());
                        if (s >= warmup) {
                            settledMs.add((System.nanoTime() - p0) / 1e6);
                        }
                    }
                    lastLoss = 0;
                    for (float l : losses) {
                        lastLoss += l;
                    }
                    if (s >= warmup) {
                        stepMs.add((t1 - t0) / 1e6);
                        waitMs.add((a0 - b0 + timed.barrierNanos) / 1e6);
                        arMs.add((a1 - a0 - timed.barrierNanos) / 1e6);
                        arNativeMs.add(timed.nanos / 1e6);
                        nativeByCase.computeIfAbsent(stepCase, k -> new ArrayList<>()).add(timed.nanos / 1e6);
                    }
                }
            }
            long checksum = 1125899906842597L;
            for (NDArray p : params) {
                for (float x : p.toFloatArray()) {
                    checksum = 31 * checksum + Float.floatToRawIntBits(x);
                }
            }
            double step = Median.of(stepMs);
            double ar = Median.of(arMs);
            List<Double> compute = diff(diff(stepMs, arMs), waitMs);
            StringBuilder byCase = new StringBuilder();
            if (nativeByCase.size() > 1) {
                nativeByCase.forEach((k, v) -> byCase.append(byCase.length() == 0 ? "" : ",")
                        .append(String.format(Locale.ROOT, "\"%s\":%.3f", k, Median.of(v))));
            }
            System.out.println(String.format(Locale.ROOT,
                    "{\"rank\":%d,\"base_params\":%d,\"lora_params\":%d,\"step_ms_median\":%.3f,\"wait_ms_median\":%.3f,"
                            + "\"allreduce_ms_median\":%.3f,\"allreduce_native_ms_median\":%.3f,\"compute_ms_median\":%.3f,"
                            + "\"allreduce_settled_ms_median\":%.3f,\"allreduce_native_ms_by_case\":{%s},"
                            + "\"allreduce_bytes\":%d,\"loss\":%.6f,\"weights_checksum\":%d}",
                    rank, random.baseParams(), loraParams, step, Median.of(waitMs), ar, Median.of(arNativeMs), Median.of(compute),
                    settledMs.isEmpty() ? 0.0 : Median.of(settledMs), byCase, (loraParams + micro) * Float.BYTES, lastLoss, checksum));
        }
    }

    /**
     * The rank's collective, timing the gradient all-reduce's native call ({@link Collective#allReduceSumFloat32}) apart
     * from {@link RankSync}'s copies between the gradients and the flat buffer; with {@code barrierFirst}, a barrier (a
     * one-element all-reduce, timed apart) right before that call, so it starts when both ranks have their bytes ready.
     */
    private static final class NativeTimed implements Collective {
        private final Collective inner;
        private boolean barrierFirst;
        long nanos;
        long barrierNanos;

        NativeTimed(Collective inner) {
            this.inner = inner;
        }

        void reset(boolean barrierFirst) {
            this.barrierFirst = barrierFirst;
            nanos = 0;
            barrierNanos = 0;
        }

        @Override
        public int rank() {
            return inner.rank();
        }

        @Override
        public int worldSize() {
            return inner.worldSize();
        }

        @Override
        public void allReduceSum(float[] values) { // timed too: RankSync's gradient path before allReduceSumFloat32
            long t0 = System.nanoTime();
            inner.allReduceSum(values);
            nanos += System.nanoTime() - t0;
        }

        @Override
        public void allReduceSumFloat32(ByteBuffer values) {
            if (barrierFirst) {
                long b0 = System.nanoTime();
                inner.allReduceSum(new long[1]);
                barrierNanos += System.nanoTime() - b0;
            }
            long t0 = System.nanoTime();
            inner.allReduceSumFloat32(values);
            nanos += System.nanoTime() - t0;
        }

        @Override
        public void allReduceSum(long[] values) {
            inner.allReduceSum(values);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /**
     * What one training step varies, cycled step by step so each case sees the same load: {@code --barrier-at call|copy}
     * (where the barrier before the gradient all-reduce sits) and {@code --slow-start-after-idle 1|0} (rank 0 writes it
     * into this network namespace's {@code /proc/sys/net/ipv4/tcp_slow_start_after_idle}; empty: left as it is).
     */
    record StepCase(String barrierAt, String slowStartAfterIdle) {
        static List<StepCase> all(Map<String, String> a) {
            List<StepCase> out = new ArrayList<>();
            for (String b : a.get("barrier-at").split(",")) {
                if (!b.equals("call") && !b.equals("copy")) {
                    throw new IllegalArgumentException("--barrier-at: call or copy (comma-separated), got " + b);
                }
                for (String ssai : a.get("slow-start-after-idle").split(",", -1)) {
                    out.add(new StepCase(b, ssai.strip()));
                }
            }
            return out;
        }

        @Override
        public String toString() {
            return "barrier@" + barrierAt + (slowStartAfterIdle.isEmpty() ? "" : " slow_start_after_idle=" + slowStartAfterIdle);
        }
    }

    /** Writes this network namespace's tcp_slow_start_after_idle (root in the benchmark's own namespace). */
    static void setSlowStartAfterIdle(String value) {
        if (!value.equals("0") && !value.equals("1")) {
            throw new IllegalArgumentException("--slow-start-after-idle: 0 or 1 (comma-separated), got " + value);
        }
        try {
            java.nio.file.Files.writeString(Path.of("/proc/sys/net/ipv4/tcp_slow_start_after_idle"), value);
        } catch (IOException e) {
            throw new IllegalStateException("--slow-start-after-idle needs root in the benchmark's network namespace: " + e, e);
        }
    }

    /**
     * Per-thread scheduler times of this process ({@code --diagnose}): from {@code /proc/self/task/<tid>/schedstat}, ns on a
     * CPU and ns runnable but waiting for one, grouped by kind of thread (main = the rank's thread, lw = xgboost's
     * socket loop thread, jit = C1/C2 compiler threads, gc = GC and VM threads, other).
     */
    static final class ThreadTimes {
        private ThreadTimes() {
        }

        /** tid:name -> {ns on CPU, ns waiting on a run queue}. */
        static Map<String, Long> read() {
            Map<String, Long> out = new LinkedHashMap<>();
            try (java.nio.file.DirectoryStream<Path> tasks = java.nio.file.Files.newDirectoryStream(Path.of("/proc/self/task"))) {
                for (Path t : tasks) {
                    try {
                        String key = t.getFileName() + ":" + java.nio.file.Files.readString(t.resolve("comm")).strip();
                        String[] st = java.nio.file.Files.readString(t.resolve("schedstat")).split(" ");
                        out.put(key + "/cpu", Long.parseLong(st[0]));
                        out.put(key + "/runq", Long.parseLong(st[1]));
                    } catch (IOException e) {
                        // the thread ended meanwhile
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return out;
        }

        /** " main=1.20/0.30 lw=..." : ms on CPU / ms waiting for a CPU between two reads, by kind. */
        static String byKind(Map<String, Long> before, Map<String, Long> after) {
            Map<String, long[]> kinds = new java.util.TreeMap<>();
            after.forEach((k, v) -> {
                String name = k.substring(k.indexOf(':') + 1, k.lastIndexOf('/'));
                String kind = name.startsWith("C1") || name.startsWith("C2") ? "jit"
                        : name.startsWith("GC") || name.startsWith("G1") || name.startsWith("VM ") ? "gc"
                        : name.endsWith(">lw") || name.equals("lw") ? "lw" : name.equals("java") ? "main" : "other";
                kinds.computeIfAbsent(kind, x -> new long[2])[k.endsWith("/cpu") ? 0 : 1] += v - before.getOrDefault(k, 0L);
            });
            StringBuilder b = new StringBuilder();
            kinds.forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s=%.2f/%.2f", k, v[0] / 1e6, v[1] / 1e6)));
            return b.toString();
        }
    }

    private static List<Double> diff(List<Double> a, List<Double> b) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            out.add(a.get(i) - b.get(i));
        }
        return out;
    }

    /**
     * The collective alone, on this rank, for every {@code --sweep} size N (MB, 10^6 bytes; float32 values): each
     * variant {@code --reps} times (after 2 untimed), every time after a barrier (a one-element all-reduce, timed apart
     * as the wait), on freshly filled values. Variants: {@code float[]}, {@code Collective.allReduceSum(float[])}
     * (copies into and out of the collective's direct buffer included), and per {@code --chunks} size
     * {@code direct/<floats>}, the native call in place on a direct buffer in chunks of that many floats (the wire and
     * the reduction alone: what a training step's all-reduce now does, {@code Collective.allReduceSumFloat32}). Checks the sums
     * (every element of rank r is r + 1: the sum is W(W+1)/2 exactly). Rank 0 prints one JSON line per size and variant.
     * {@code --before} and {@code --slow-start-after-idle} (lists) run each rep once per combination, interleaved, so
     * a change of load hits every combination alike: e.g. {@code --before none,sleep:1000} with
     * {@code --slow-start-after-idle 1,0} tests whether an idle connection restarting in slow start slows the call.
     */
    private static void sweep(XgboostCollective c, Map<String, String> a) {
        int reps = Integer.parseInt(a.get("reps"));
        List<Integer> chunks = Arrays.stream(a.get("chunks").split(",")).map(String::strip).map(Integer::parseInt).toList();
        float expected = c.worldSize() * (c.worldSize() + 1) / 2f;
        List<String> befores = Arrays.stream(a.get("before").split(",")).map(String::strip).toList();
        List<String> ssais = Arrays.stream(a.get("slow-start-after-idle").split(",", -1)).map(String::strip).toList();
        try (NDManager manager = NDManager.newBaseManager()) { // for --before torch:MS
            sweepSizes(c, a, reps, chunks, expected, befores, ssais, manager);
        }
    }

    private static void sweepSizes(XgboostCollective c, Map<String, String> a, int reps, List<Integer> chunks, float expected,
                                   List<String> befores, List<String> ssais, NDManager manager) {
        for (String mbText : a.get("sweep").split(",")) {
            double mb = Double.parseDouble(mbText.strip());
            int n = Math.toIntExact(Math.round(mb * 1e6 / Float.BYTES));
            float[] values = new float[n];
            // --align: "any" = as allocateDirect returns it (malloc's 16-byte alignment), "page" = at a 4 KiB boundary.
            Map<String, ByteBuffer> buffers = new LinkedHashMap<>();
            for (String align : a.get("align").split(",")) {
                ByteBuffer raw = ByteBuffer.allocateDirect(n * Float.BYTES + 2 * 4096); // alignedSlice trims both ends
                buffers.put(align.strip(), (switch (align.strip()) {
                    case "any" -> raw.slice(0, n * Float.BYTES);
                    case "page" -> raw.alignedSlice(4096).slice(0, n * Float.BYTES);
                    default -> throw new IllegalArgumentException("--align: any or page (comma-separated), got " + align);
                }).order(ByteOrder.nativeOrder()));
            }
            List<String> variants = new ArrayList<>();
            if (Boolean.parseBoolean(a.get("float-array"))) {
                variants.add("float[]");
            }
            chunks.forEach(k -> variants.add("direct/" + k));
            for (String variant : variants) {
                // Every rep runs each (before, ssai) case in turn: interleaved, so a change of load hits all alike.
                Map<String, List<Double>> wait = new LinkedHashMap<>();
                Map<String, List<Double>> ms = new LinkedHashMap<>();
                for (int i = 0; i < reps + 2; i++) {
                    for (String before : befores) {
                        for (String ssai : ssais) {
                          for (Map.Entry<String, ByteBuffer> aligned : buffers.entrySet()) {
                            ByteBuffer direct = aligned.getValue();
                            if (!ssai.isEmpty() && c.rank() == 0) {
                                setSlowStartAfterIdle(ssai);
                            }
                            before(before, manager);
                            Arrays.fill(values, c.rank() + 1f);
                            FloatBuffer fb = direct.asFloatBuffer();
                            for (int j = 0; j < n; j++) {
                                fb.put(j, c.rank() + 1f);
                            }
                            long t0 = System.nanoTime();
                            c.allReduceSum(0L); // barrier
                            long t1 = System.nanoTime();
                            if (variant.equals("float[]")) {
                                c.allReduceSum(values);
                            } else {
                                int chunk = Integer.parseInt(variant.substring("direct/".length()));
                                for (int off = 0; off < n; off += chunk) {
                                    int k = Math.min(chunk, n - off);
                                    ByteBuffer slice = direct.slice(off * Float.BYTES, k * Float.BYTES).order(ByteOrder.nativeOrder());
                                    if (InPlaceAllReduce.allReduce(slice, k, InPlaceAllReduce.FLOAT32, InPlaceAllReduce.SUM) != 0) {
                                        throw new IllegalStateException("native all-reduce failed: " + InPlaceAllReduce.lastError());
                                    }
                                }
                            }
                            long t2 = System.nanoTime();
                            for (int j = 0; j < n; j++) {
                                float got = variant.equals("float[]") ? values[j] : fb.get(j);
                                if (got != expected) {
                                    throw new IllegalStateException(variant + ", " + mb + " MB: element " + j + " is " + got + ", expected " + expected);
                                }
                            }
                            String key = variant + (before.equals("none") ? "" : " after " + before)
                                    + (ssai.isEmpty() ? "" : " slow_start_after_idle=" + ssai)
                                    + (buffers.size() > 1 ? " align=" + aligned.getKey() : "");
                            if (i >= 2) {
                                wait.computeIfAbsent(key, x -> new ArrayList<>()).add((t1 - t0) / 1e6);
                                ms.computeIfAbsent(key, x -> new ArrayList<>()).add((t2 - t1) / 1e6);
                            }
                          }
                        }
                    }
                }
                if (c.rank() == 0) {
                    ms.forEach((key, m) -> System.out.println(String.format(Locale.ROOT, "{\"sweep_MB\":%s,\"bytes\":%d,\"variant\":\"%s\","
                                    + "\"ms_median\":%.3f,\"ms_min\":%.3f,\"wait_ms_median\":%.3f}", mbText.strip(), (long) n * Float.BYTES,
                            key, Median.of(m), m.stream().mapToDouble(Double::doubleValue).min().orElseThrow(), Median.of(wait.get(key)))));
                }
            }
        }
    }

    private static volatile double spinSink;

    /**
     * What a rank does before a sweep rep's barrier ({@code --before}): none; sleep:MS (the connection and the CPU idle,
     * as between a step's all-reduces); spin:MS (one core busy in a Java loop); torch:MS (one core busy in 512×512
     * libtorch matmuls, as a step's compute).
     */
    private static void before(String what, NDManager manager) {
        if (what.equals("none")) {
            return;
        }
        String[] kv = what.split(":");
        long until = System.nanoTime() + Long.parseLong(kv[1]) * 1_000_000;
        switch (kv[0]) {
            case "sleep" -> {
                try {
                    Thread.sleep(Long.parseLong(kv[1]));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            case "spin" -> {
                double x = 0;
                while (System.nanoTime() < until) {
                    for (int i = 0; i < 10_000; i++) {
                        x += Math.sqrt(i + x);
                    }
                }
                spinSink = x; // kept, so the loop is not optimised away
            }
            case "torch" -> {
                try (NDManager m = manager.newSubManager()) {
                    NDArray x = m.randomNormal(new Shape(512, 512));
                    while (System.nanoTime() < until) {
                        try (NDArray y = x.matMul(x)) {
                            y.getFloat(0, 0);
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException("--before: none, sleep:MS, spin:MS or torch:MS, got " + what);
        }
    }

    /** Prints the sweep lines of rank 0 with the loopback copies of the same bytes (measured once per size). */
    private static void printSweep(List<String> rank0Lines, int reps) throws Exception {
        Map<Long, LoopbackCopy.Rate[]> copies = new LinkedHashMap<>();
        for (String l : rank0Lines) {
            JsonNode r = JSON.readTree(l);
            long bytes = r.path("bytes").asLong();
            LoopbackCopy.Rate[] c = copies.get(bytes);
            if (c == null) {
                c = new LoopbackCopy.Rate[] {LoopbackCopy.measure(bytes, reps, false), LoopbackCopy.measure(bytes, reps, true)};
                copies.put(bytes, c);
            }
            double algbw = bytes / 1e6 / (r.path("ms_median").asDouble() / 1000);
            System.out.println(String.format(Locale.ROOT, "{\"sweep_MB\":%s,\"bytes\":%d,\"variant\":\"%s\",\"ms_median\":%.3f,"
                            + "\"ms_min\":%.3f,\"wait_ms_median\":%.3f,\"algbw_MBps\":%.1f,\"loopback_copy_MBps\":%.1f,"
                            + "\"loopback_duplex_MBps\":%.1f,\"ratio_copy\":%.3f,\"ratio_duplex\":%.3f}",
                    r.path("sweep_MB").asText(), bytes, r.path("variant").asText(), r.path("ms_median").asDouble(),
                    r.path("ms_min").asDouble(), r.path("wait_ms_median").asDouble(), algbw, c[0].medianMBs(), c[1].medianMBs(),
                    algbw / c[0].medianMBs(), algbw / c[1].medianMBs()));
        }
    }

    /**
     * A plain TCP copy over 127.0.0.1 (NIO channels, 1 MiB direct buffers: no Java-heap copies), the collective's
     * ceiling here: N bytes one way, or N bytes each way at once (duplex: a 2-rank all-reduce's traffic). The writers
     * stream {@code reps + 1} copies back to back and each reader times every copy it receives (the first, which warms
     * up the connection, untimed): a raw streaming rate, with no per-copy hand-shake or thread wake-up in it.
     */
    static final class LoopbackCopy {

        /** Median and best MB/s over the timed copies (N / time; a duplex copy moves 2N bytes in that time). */
        record Rate(double medianMBs, double bestMBs) {
        }

        private LoopbackCopy() {
        }

        static Rate measure(long bytes, int reps, boolean duplex) throws Exception {
            List<Double> ms = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                 SocketChannel client = SocketChannel.open(server.getLocalAddress());
                 SocketChannel accepted = server.accept()) {
                List<Runnable> jobs = new ArrayList<>();
                jobs.add(() -> write(client, bytes, reps + 1));
                jobs.add(() -> read(accepted, bytes, reps + 1, ms));
                if (duplex) {
                    jobs.add(() -> write(accepted, bytes, reps + 1));
                    jobs.add(() -> read(client, bytes, reps + 1, ms));
                }
                for (Runnable job : jobs) {
                    Thread t = new Thread(() -> {
                        try {
                            job.run();
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }, "loopback-copy");
                    threads.add(t);
                    t.start();
                }
                for (Thread t : threads) {
                    t.join();
                }
            }
            if (!failures.isEmpty()) {
                throw new IllegalStateException("loopback copy failed: " + failures.get(0), failures.get(0));
            }
            List<Double> mbs = ms.stream().map(m -> bytes / 1e6 / (m / 1000)).toList();
            return new Rate(Median.of(mbs), mbs.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
        }

        private static void write(SocketChannel ch, long bytes, int copies) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            try {
                for (long left = bytes * copies; left > 0; ) {
                    b.clear().limit((int) Math.min(b.capacity(), left));
                    while (b.hasRemaining()) {
                        left -= ch.write(b);
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** Reads {@code copies} copies of {@code bytes}; adds the ms of each after the first to {@code ms}. */
        private static void read(SocketChannel ch, long bytes, int copies, List<Double> ms) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            try {
                long last = 0;
                for (int k = 0; k < copies; k++) {
                    for (long left = bytes; left > 0; ) {
                        b.clear().limit((int) Math.min(b.capacity(), left));
                        int r = ch.read(b);
                        if (r < 0) {
                            throw new IOException("loopback copy ended early");
                        }
                        left -= r;
                    }
                    long now = System.nanoTime();
                    if (k > 0) {
                        ms.add((now - last) / 1e6);
                    }
                    last = now;
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
