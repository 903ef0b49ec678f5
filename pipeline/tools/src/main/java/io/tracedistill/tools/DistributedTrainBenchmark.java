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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
 * prints one JSON line. The collective listens on all interfaces: the script runs this in a loopback-only network
 * namespace when it can.
 */
public final class DistributedTrainBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DistributedTrainBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (String[] kv : new String[][] {{"ranks", "2"}, {"micro-batches", "2"}, {"hidden", "256"}, {"ff", "1280"}, {"heads", "4"},
                {"kv-heads", "2"}, {"layers", "4"}, {"vocab", "259"}, {"seq", "128"}, {"batch", "4"}, {"rank", "8"}, {"steps", "10"},
                {"warmup", "2"}, {"threads", "1"}, {"seed", "0"}, {"rank-of", ""}, {"tracker", ""}}) {
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
            for (Process p : ranks) {
                String last = "";
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = in.readLine()) != null; ) {
                        last = l;
                    }
                }
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("a rank process failed with status " + p.exitValue());
                }
                lines.add(last);
            }
            double wholeS = (System.nanoTime() - t0) / 1e9;
            JsonNode r0 = JSON.readTree(lines.get(0));
            for (String l : lines) {
                if (JSON.readTree(l).path("weights_checksum").asLong() != r0.path("weights_checksum").asLong()) {
                    throw new IllegalStateException("the ranks' LoRA weights differ after training: " + lines);
                }
            }
            long bytes = r0.path("allreduce_bytes").asLong();
            double loopbackMBs = loopbackCopyMBs(bytes);
            double stepMs = r0.path("step_ms_median").asDouble();
            int tokensPerStep = micro * Integer.parseInt(a.get("batch")) * Integer.parseInt(a.get("seq"));
            double arMs = r0.path("allreduce_ms_median").asDouble();
            System.out.println(String.format(Locale.ROOT,
                    "{\"ranks\":%d,\"micro_batches_per_step\":%d,\"tokens_per_step\":%d,\"base_params\":%d,\"lora_params\":%d,"
                            + "\"step_ms_median\":%.2f,\"steps_per_s\":%.3f,\"tokens_per_s\":%.1f,\"compute_ms_median\":%.2f,"
                            + "\"allreduce_ms_median\":%.3f,\"allreduce_bytes\":%d,\"allreduce_MBps\":%.1f,\"loopback_copy_MBps\":%.1f,"
                            + "\"whole_process_s\":%.2f,\"loss\":%.6f,\"weights_checksum\":%d}",
                    w, micro, tokensPerStep, r0.path("base_params").asLong(), r0.path("lora_params").asLong(), stepMs, 1000 / stepMs,
                    tokensPerStep / (stepMs / 1000), r0.path("compute_ms_median").asDouble(), arMs, bytes,
                    w > 1 && arMs > 0 ? bytes / 1e6 / (arMs / 1000) : 0.0, loopbackMBs, wholeS, r0.path("loss").asDouble(),
                    r0.path("weights_checksum").asLong()));
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
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            ModelBenchmark.RandomLora random = ModelBenchmark.randomLora(cfg, Integer.parseInt(a.get("rank")), seed, manager);
            TrainableModel model = new LoraTrainableModel(random.lora());
            List<NDArray> params = new ArrayList<>(model.trainableParameters().values());
            long loraParams = params.stream().mapToLong(NDArray::size).sum();
            RankSync sync = new RankSync(collective);
            // Micro-batch m of every step: fixed random tokens, labels = inputs.
            long[][] ids = new long[micro][batch * seq];
            for (int m = 0; m < micro; m++) {
                Random rnd = new Random(seed * 1000 + m);
                for (int i = 0; i < batch * seq; i++) {
                    ids[m][i] = rnd.nextInt(vocab);
                }
            }
            List<Double> stepMs = new ArrayList<>();
            List<Double> arMs = new ArrayList<>();
            double lastLoss = 0;
            try (AdamW optimizer = AdamW.referenceDefaults(params)) {
                for (int s = 0; s < warmup + steps; s++) {
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
                    long a0 = System.nanoTime();
                    sync.sumGradientsAndLosses(grads, losses);
                    long a1 = System.nanoTime();
                    optimizer.step(grads, 1e-3);
                    for (NDArray g : grads) {
                        g.subi(g);
                    }
                    long t1 = System.nanoTime();
                    lastLoss = 0;
                    for (float l : losses) {
                        lastLoss += l;
                    }
                    if (s >= warmup) {
                        stepMs.add((t1 - t0) / 1e6);
                        arMs.add((a1 - a0) / 1e6);
                    }
                }
            }
            long checksum = 1125899906842597L;
            for (NDArray p : params) {
                for (float x : p.toFloatArray()) {
                    checksum = 31 * checksum + Float.floatToRawIntBits(x);
                }
            }
            double step = median(stepMs);
            double ar = median(arMs);
            System.out.println(String.format(Locale.ROOT,
                    "{\"rank\":%d,\"base_params\":%d,\"lora_params\":%d,\"step_ms_median\":%.3f,\"allreduce_ms_median\":%.3f,"
                            + "\"compute_ms_median\":%.3f,\"allreduce_bytes\":%d,\"loss\":%.6f,\"weights_checksum\":%d}",
                    rank, random.baseParams(), loraParams, step, ar, median(diff(stepMs, arMs)), (loraParams + micro) * Float.BYTES,
                    lastLoss, checksum));
        }
    }

    private static List<Double> diff(List<Double> a, List<Double> b) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            out.add(a.get(i) - b.get(i));
        }
        return out;
    }

    private static double median(List<Double> xs) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s[s.length / 2];
    }

    /** MB/s of a plain TCP copy of {@code bytes} over 127.0.0.1 (best of 5), the all-reduce's ceiling here. */
    static double loopbackCopyMBs(long bytes) throws Exception {
        int n = Math.toIntExact(Math.max(bytes, 1 << 20));
        byte[] buf = new byte[n];
        double best = 0;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread writer = new Thread(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort()); OutputStream out = s.getOutputStream()) {
                    for (int i = 0; i < 6; i++) {
                        out.write(buf);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                byte[] rbuf = new byte[1 << 20];
                for (int i = 0; i < 6; i++) {
                    long t0 = System.nanoTime();
                    for (int got = 0; got < n; ) {
                        int r = in.read(rbuf, 0, Math.min(rbuf.length, n - got));
                        if (r < 0) {
                            throw new IOException("loopback copy ended early");
                        }
                        got += r;
                    }
                    if (i > 0) { // the first copy warms up the connection
                        best = Math.max(best, n / 1e6 / ((System.nanoTime() - t0) / 1e9));
                    }
                }
            }
            writer.join();
        }
        return best;
    }
}
