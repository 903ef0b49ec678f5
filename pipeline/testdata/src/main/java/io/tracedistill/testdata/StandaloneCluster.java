package io.tracedistill.testdata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1 for tests and benchmarks: a Master and N Workers, each its own JVM started
 * from the Spark jars of this JVM's class path ({@code org.apache.spark.deploy.master.Master}, {@code ...worker.Worker}),
 * and drivers launched as {@code spark-submit} launches them ({@code org.apache.spark.deploy.SparkSubmit}), or this JVM
 * itself as a client-mode driver ({@link #clientDriverConf()}: what {@code scripts/bench-driver-heap} measures, the
 * driver's heap without the executors' rows in it).
 *
 * <p>Why child JVMs and not {@code local-cluster[N,c,m]}: both need a Spark home to build executor commands from;
 * {@code local-cluster} also keeps the Master and Workers inside the driver's JVM, so killing a worker or the
 * driver could not be tested. A Worker builds an executor's class path from {@code $SPARK_HOME/jars/*} plus
 * {@code spark.executor.extraClassPath}: here {@code SPARK_HOME} is an empty folder (offline: no Spark
 * distribution is downloaded) and the whole test class path goes into {@code spark.executor.extraClassPath}.
 *
 * <p>Every process listens on 127.0.0.1 only, except what the training ranks open (xgboost binds all interfaces):
 * tests using this run in the loopback-only namespace (see jobs/pom.xml), and so does {@code scripts/bench-driver-heap}
 * when it can. Jackson and Spark come from the class path of the module using this (provided here).
 */
public final class StandaloneCluster implements AutoCloseable {

    private static final long START_TIMEOUT_S = 120;
    /** The main class spark-submit launches (the jobs module's CLI; named, as this module cannot depend on jobs). */
    private static final String JOBS_MAIN = "io.tracedistill.jobs.Cli";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How long the train step waits for its executors to register (BarrierTraining's slot check; Spark's default is
     * 30 s). An executor JVM took over 30 s to start here under a load average of 20.
     */
    private static final String EXECUTOR_WAIT_KEY = "spark.scheduler.maxRegisteredResourcesWaitingTime";
    private static final String EXECUTOR_WAIT = "240s";

    private final Path dir;
    private final Path sparkHome;
    private final String classPath;
    private final List<String> jvmOptions;
    private final Process master;
    private final String masterUrl;
    private final List<Process> workers = new ArrayList<>();
    private final List<Path> workDirs = new ArrayList<>();
    private final List<Process> submitted = new ArrayList<>();
    private final URI statusUrl;
    private final Path appJar;

    private StandaloneCluster(Path dir, Path sparkHome, String classPath, List<String> jvmOptions, Process master, String masterUrl,
                              URI statusUrl, Path appJar) {
        this.dir = dir;
        this.sparkHome = sparkHome;
        this.classPath = classPath;
        this.jvmOptions = jvmOptions;
        this.master = master;
        this.masterUrl = masterUrl;
        this.statusUrl = statusUrl;
        this.appJar = appJar;
    }

    /** Starts a Master and {@code workers} Workers of {@code coresEach} cores and waits until all are registered. */
    public static StandaloneCluster start(Path dir, int workers, int coresEach) throws Exception {
        Path sparkHome = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(sparkHome.resolve("jars"));
        List<String> opts = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Djdk.reflect") || a.startsWith("-XX:+IgnoreUnrecognized")) {
                opts.add(a);
            }
        }
        opts.add("-Dai.djl.offline=true");
        String cp = System.getProperty("java.class.path");
        int port = freePort();
        // The app jar spark-submit needs as its primary resource: the classes come from the class path, so it is empty.
        Path appJar = dir.resolve("app.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(appJar), mf)) {
            j.flush();
        }
        Path masterLog = dir.resolve("master.log");
        int ui = freePort();
        Process master = java(sparkHome, cp, opts, "-Xmx256m", masterLog, "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port", Integer.toString(ui));
        StandaloneCluster c = new StandaloneCluster(dir, sparkHome, cp, opts, master, "spark://127.0.0.1:" + port,
                URI.create("http://127.0.0.1:" + ui + "/json/"), appJar);
        try {
            c.await(() -> c.status().path("status").asText().equals("ALIVE"), "the master to start", masterLog);
            for (int i = 0; i < workers; i++) {
                c.startWorker(coresEach); // in parallel: a JVM start takes seconds, many under load
            }
            c.await(() -> c.status().path("aliveworkers").asInt() == workers, workers + " workers to register", masterLog);
        } catch (Exception e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Starts one more Worker (registering takes a while); returns its index. */
    private int startWorker(int cores) throws Exception {
        int i = workers.size();
        Path work = Files.createDirectories(dir.resolve("worker" + i));
        Path log = dir.resolve("worker" + i + ".log");
        workers.add(java(sparkHome, classPath, jvmOptions, "-Xmx256m", log, "org.apache.spark.deploy.worker.Worker",
                "--host", "127.0.0.1", "--cores", Integer.toString(cores), "--memory", "3g", "--webui-port",
                Integer.toString(freePort()), "--work-dir", work.toString(), masterUrl));
        workDirs.add(work);
        return i;
    }

    /** The master's status page ({@code /json/}: status, aliveworkers, cores, activeapps...); empty while it starts. */
    public JsonNode status() {
        try {
            HttpURLConnection http = (HttpURLConnection) statusUrl.toURL().openConnection();
            http.setConnectTimeout(2000);
            http.setReadTimeout(5000);
            try (InputStream in = http.getInputStream()) {
                return JSON.readTree(in);
            } finally {
                http.disconnect();
            }
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    public String masterUrl() {
        return masterUrl;
    }

    /**
     * The settings of a client-mode driver of this cluster (besides {@code spark.master} = {@link #masterUrl()}): driver
     * bound to 127.0.0.1, no UI, executors of 768 MB with this JVM's class path. spark-submit's client mode uses them,
     * and a {@code SparkSession} built in this JVM with them makes this JVM the driver.
     */
    public Map<String, String> clientDriverConf() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.driver.host", "127.0.0.1");
        conf.put("spark.driver.bindAddress", "127.0.0.1");
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.executor.memory", "768m");
        conf.put(EXECUTOR_WAIT_KEY, EXECUTOR_WAIT);
        conf.put("spark.executor.extraClassPath", classPath);
        conf.put("spark.executor.extraJavaOptions", "-Dai.djl.offline=true");
        return conf;
    }

    /**
     * Launches {@code io.tracedistill.jobs.Cli args} through spark-submit in client mode (the driver is the
     * spark-submit JVM, with {@link #clientDriverConf()}), output into {@code log}. {@code conf} are extra
     * {@code --conf key=value} settings.
     */
    public Process submitClient(Path log, List<String> conf, String... args) throws IOException {
        List<String> submit = new ArrayList<>(List.of("--master", masterUrl, "--deploy-mode", "client"));
        clientDriverConf().forEach((k, v) -> submit.addAll(List.of("--conf", k + "=" + v)));
        return submit(submit, conf, "-Xmx768m", log, args);
    }

    /**
     * Launches {@code io.tracedistill.jobs.Cli args} through spark-submit in cluster mode: the Master starts the
     * driver on a Worker (it takes one of that Worker's cores), and spark-submit waits for it to end
     * ({@code spark.standalone.submit.waitAppCompletion}), exiting non-zero when it failed. The driver's own output is
     * in that Worker's {@code driver-*} folder ({@link #driverLogs()}). {@code conf} are extra {@code --conf key=value}
     * settings.
     */
    public Process submitCluster(Path log, List<String> conf, String... args) throws IOException {
        List<String> submit = new ArrayList<>(List.of("--master", masterUrl, "--deploy-mode", "cluster",
                "--conf", "spark.standalone.submit.waitAppCompletion=true",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=768m", "--driver-memory", "768m",
                "--conf", EXECUTOR_WAIT_KEY + "=" + EXECUTOR_WAIT,
                "--conf", "spark.driver.extraClassPath=" + classPath,
                "--conf", "spark.driver.extraJavaOptions=" + String.join(" ", jvmOptions),
                "--conf", "spark.executor.extraClassPath=" + classPath,
                "--conf", "spark.executor.extraJavaOptions=-Dai.djl.offline=true"));
        return submit(submit, conf, "-Xmx256m", log, args);
    }

    /** Runs spark-submit with {@code submit}'s mode settings, the extra {@code conf}, then {@code jobs.Cli args}. */
    private Process submit(List<String> submit, List<String> conf, String submitHeap, Path log, String... args) throws IOException {
        for (String c : conf) {
            submit.addAll(List.of("--conf", c));
        }
        submit.addAll(List.of("--class", JOBS_MAIN, appJar.toString()));
        submit.addAll(List.of(args));
        Process p = java(sparkHome, classPath, jvmOptions, submitHeap, log, "org.apache.spark.deploy.SparkSubmit",
                submit.toArray(String[]::new));
        submitted.add(p);
        return p;
    }

    /** Every cluster-mode driver's output (stdout and stderr of each Worker's {@code driver-*} folder). */
    public String driverLogs() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path w : workDirs) {
            try (Stream<Path> files = Files.walk(w)) {
                for (Path f : files.filter(p -> p.getParent().getFileName().toString().startsWith("driver-")
                        && (p.getFileName().toString().equals("stderr") || p.getFileName().toString().equals("stdout"))).sorted().toList()) {
                    sb.append("==> ").append(f).append('\n').append(Files.readString(f));
                }
            }
        }
        return sb.toString();
    }

    /** Kills (SIGKILL) worker {@code i} and the executor JVMs it started, as a lost machine would. */
    public void killWorker(int i) throws InterruptedException {
        Process w = workers.get(i);
        List<ProcessHandle> children = w.descendants().toList();
        w.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        w.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * The index of the live worker whose executor of the newest application logged {@code text} (e.g. a rank's
     * placement line), if any. Application folders are {@code app-<yyyyMMddHHmmss>-<n>}: their names sort by age.
     */
    public Optional<Integer> workerWhoseExecutorLogged(String text) throws IOException {
        String newest = "";
        for (Path w : workDirs) {
            try (Stream<Path> apps = Files.list(w)) {
                for (Path a : apps.toList()) {
                    String n = a.getFileName().toString();
                    if (n.startsWith("app-") && n.compareTo(newest) > 0) {
                        newest = n;
                    }
                }
            }
        }
        for (int i = 0; i < workDirs.size(); i++) {
            Path app = workDirs.get(i).resolve(newest);
            if (newest.isEmpty() || !workers.get(i).isAlive() || !Files.isDirectory(app)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(app)) {
                for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                    if (contains(f, text)) {
                        return Optional.of(i);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Every executor log (stderr) of every worker, concatenated: what the ranks printed. */
    public String executorLogs() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path w : workDirs) {
            try (Stream<Path> files = Files.walk(w)) {
                for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).sorted().toList()) {
                    sb.append("==> ").append(f).append('\n').append(Files.readString(f));
                }
            }
        }
        return sb.toString();
    }

    /** Waits until no worker has an executor JVM running (an application that ended has released its executors). */
    public void awaitNoExecutors() throws Exception {
        await(() -> workers.stream().filter(Process::isAlive).allMatch(w -> w.descendants().findAny().isEmpty()),
                "the executors of the ended application to exit", dir.resolve("master.log"));
    }

    @Override
    public void close() {
        List<Process> all = new ArrayList<>(submitted);
        all.addAll(workers);
        all.add(master);
        for (Process p : all) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : all) {
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void await(BooleanSupplier condition, String what, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + START_TIMEOUT_S + " s waiting for " + what + "; " + log + ":\n"
                        + (Files.exists(log) ? Files.readString(log) : "(none)"));
            }
            Thread.sleep(200);
        }
    }

    private static boolean contains(Path file, String text) {
        try {
            return Files.exists(file) && Files.readString(file).contains(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Process java(Path sparkHome, String cp, List<String> opts, String heap, Path log, String main, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(heap);
        cmd.addAll(opts);
        cmd.addAll(List.of("-cp", cp, main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        // A Worker starts executors with $JAVA_HOME/bin/java: this JVM's own (surefire points JAVA_HOME at its <jvm>
        // launcher, whose second unshare would put the executors in a namespace of their own, cut off from the driver).
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.12");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }
}
