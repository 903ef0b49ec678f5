package io.tracedistill.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.ConfigKeys;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every job definition in {@code jobs/deploy} (Databricks bundle, EMR steps, EMR Serverless runs) names things that
 * exist in this build: the main class (with a {@code main(String[])}), the command words, the config file (which
 * loads) and its {@code --set} keys, the jar the {@code -Pdist} profile builds, the Maven profiles, and the GPU
 * discovery script the bootstrap action installs (which prints what Spark expects). None of these platforms is
 * reachable from here: this is what can be checked without them.
 */
class JobDefinitionsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path DEPLOY = ROOT.resolve("jobs/deploy");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The jar name of the -Pdist build, read from jobs/pom.xml (its finalName). */
    private static String distJarName() throws Exception {
        String pom = Files.readString(ROOT.resolve("jobs/pom.xml"));
        assertTrue(pom.contains("<id>dist</id>"), "jobs/pom.xml has no dist profile");
        int at = pom.indexOf("<finalName>");
        return pom.substring(at + "<finalName>".length(), pom.indexOf("</finalName>", at)) + ".jar";
    }

    private static void assertMainClass(String name, String where) throws Exception {
        Class<?> c = Class.forName(name);
        Method main = c.getMethod("main", String[].class);
        assertTrue(Modifier.isStatic(main.getModifiers()), where + ": " + name + ".main is not static");
    }

    /**
     * One command line as a definition passes it to the main class: the command word exists, {@code --cfg} names
     * {@code expectedCfg}, each {@code --set} key is a config key, and the line parses as the CLI parses it.
     */
    private static void assertCommandLine(List<String> args, String expectedCfg, String where) {
        CliArgs parsed = CliArgs.parse(args.toArray(String[]::new));
        assertTrue(Cli.commandNames().contains(parsed.command()), where + ": unknown command " + parsed.command());
        assertEquals(Optional.of(expectedCfg), parsed.cfg().map(Path::toString), where + ": --cfg");
        for (String set : parsed.sets()) {
            String key = set.substring(0, set.indexOf('=')).split("\\.")[0];
            assertTrue(ConfigKeys.names().contains(key), where + ": --set " + set + " is not a config key");
        }
        assertEquals(List.of(), parsed.rest(), where + ": a step command takes no other options");
    }

    @Test
    @SuppressWarnings("unchecked")
    void databricksBundle() throws Exception {
        Path bundleDir = DEPLOY.resolve("databricks");
        Map<String, Object> bundle = new Yaml().load(Files.readString(bundleDir.resolve("databricks.yml")));
        Map<String, Object> vars = (Map<String, Object>) bundle.get("variables");
        String volume = (String) ((Map<String, Object>) vars.get("volume")).get("default");
        assertTrue(volume.startsWith("/Volumes/"), "the jar and config live on a Unity Catalog volume: " + volume);
        assertEquals("${var.volume}/artifacts", ((Map<String, Object>) bundle.get("workspace")).get("artifact_path"));

        // The artifact: built at the repository root with the dist (and cuda) profiles, the file the dist build writes.
        Map<String, Object> artifact = (Map<String, Object>) ((Map<String, Object>) bundle.get("artifacts")).get("tracedistill_jar");
        assertEquals(ROOT, bundleDir.resolve((String) artifact.get("path")).normalize());
        String build = (String) artifact.get("build");
        assertTrue(build.contains("-Pdist,cuda") && build.contains("package"), build);
        assertTrue(Files.readString(ROOT.resolve("pom.xml")).contains("<id>cuda</id>"), "no cuda profile in pom.xml");
        Path jar = bundleDir.resolve((String) ((List<Map<String, Object>>) artifact.get("files")).get(0).get("source")).normalize();
        assertEquals(ROOT.resolve("jobs/target").resolve(distJarName()), jar);

        Map<String, Object> job = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) bundle.get("resources"))
                .get("jobs")).get("tracedistill");
        Map<String, Map<String, Object>> clusters = new java.util.LinkedHashMap<>();
        for (Map<String, Object> c : (List<Map<String, Object>>) job.get("job_clusters")) {
            Map<String, Object> nc = (Map<String, Object>) c.get("new_cluster");
            clusters.put((String) c.get("job_cluster_key"), nc);
            assertTrue(((String) nc.get("spark_version")).startsWith("16.4.x-"), "DBR 16.4 LTS: " + nc.get("spark_version"));
            assertEquals("SINGLE_USER", nc.get("data_security_mode"), "dedicated access mode (RDDs, accumulators)");
        }
        Map<String, Object> single = clusters.get("gpu_single");
        assertEquals(0, single.get("num_workers"), "training runs on the driver: no idle GPU workers");
        assertEquals("singleNode", ((Map<String, Object>) single.get("spark_conf")).get("spark.databricks.cluster.profile"));
        assertEquals("1", ((Map<String, Object>) clusters.get("gpu_multi").get("spark_conf")).get("spark.task.resource.gpu.amount"));

        List<String> order = new ArrayList<>();
        String previous = null;
        for (Map<String, Object> task : (List<Map<String, Object>>) job.get("tasks")) {
            String key = (String) task.get("task_key");
            order.add(key);
            Map<String, Object> jarTask = (Map<String, Object>) task.get("spark_jar_task");
            assertMainClass((String) jarTask.get("main_class_name"), "task " + key);
            List<String> params = (List<String>) jarTask.get("parameters");
            assertEquals(key, params.get(0), "task " + key + " runs its own command");
            assertCommandLine(params, "${var.volume}/conf/databricks.yaml", "task " + key);
            assertEquals(jar, bundleDir.resolve((String) ((List<Map<String, Object>>) task.get("libraries")).get(0).get("jar")).normalize());
            assertTrue(clusters.containsKey((String) task.get("job_cluster_key")), key + ": no such job cluster");
            assertTrue((Integer) task.get("max_retries") >= 1 && (Integer) task.get("timeout_seconds") > 0, key + ": retries/timeout");
            if (previous != null) {
                assertEquals(List.of(Map.of("task_key", previous)), task.get("depends_on"), key + " depends on " + previous);
            }
            previous = key;
        }
        assertEquals(List.of("prepare", "tokenize", "train", "eval"), order);
        assertEquals(List.of("cpu", "cpu", "gpu_single", "gpu_multi"), ((List<Map<String, Object>>) job.get("tasks")).stream()
                .map(t -> (String) t.get("job_cluster_key")).toList());

        // The config the tasks name: it exists in conf/ and loads (every key valid), with the platform's master.
        RunConfig cfg = ConfigLoader.load(ROOT.resolve("conf/databricks.yaml"));
        assertEquals(Optional.empty(), cfg.output().sparkMaster(), "a JAR task must run in the session Databricks started");
        assertTrue(cfg.output().outputDir().startsWith("/Volumes/"), cfg.output().outputDir());
    }

    @Test
    void emrSteps() throws Exception {
        JsonNode steps = JSON.readTree(DEPLOY.resolve("emr/steps.json").toFile());
        String jarName = distJarName();
        String discovery = installedDiscoveryScript();
        List<String> names = new ArrayList<>();
        for (JsonNode step : steps) {
            List<String> args = new ArrayList<>();
            step.path("HadoopJarStep").path("Args").forEach(a -> args.add(a.asText()));
            String where = step.path("Name").asText();
            names.add(where);
            assertEquals("command-runner.jar", step.path("HadoopJarStep").path("Jar").asText());
            assertEquals(List.of("spark-submit", "--deploy-mode", "cluster"), args.subList(0, 3), where);
            assertMainClass(args.get(args.indexOf("--class") + 1), where);
            int jarAt = indexOfEnding(args, "/" + jarName, where);
            String files = args.get(args.indexOf("--files") + 1);
            assertCommandLine(args.subList(jarAt + 1, args.size()), files.substring(files.lastIndexOf('/') + 1), where);
            List<String> gpuConfs = args.stream().filter(a -> a.contains(".resource.gpu.")).toList();
            String command = args.get(jarAt + 1);
            switch (command) {
                case "train" -> {
                    // Training runs in the driver (cluster mode: a YARN container), so the driver asks for the GPU.
                    assertTrue(gpuConfs.contains("spark.driver.resource.gpu.amount=1"), where + ": " + gpuConfs);
                    assertTrue(gpuConfs.contains("spark.driver.resource.gpu.discoveryScript=" + discovery), where + ": " + gpuConfs);
                    assertTrue(args.contains("--resume"), where + ": a retried step continues from its checkpoint");
                }
                case "eval" -> {
                    assertTrue(gpuConfs.contains("spark.executor.resource.gpu.amount=1"), where + ": " + gpuConfs);
                    assertTrue(gpuConfs.contains("spark.task.resource.gpu.amount=1"), where + ": " + gpuConfs);
                    assertTrue(gpuConfs.contains("spark.executor.resource.gpu.discoveryScript=" + discovery), where + ": " + gpuConfs);
                }
                default -> assertEquals(List.of(), gpuConfs, where + ": a CPU stage asks for no GPU");
            }
        }
        assertEquals(List.of("tracedistill prepare", "tracedistill tokenize", "tracedistill train", "tracedistill eval"), names);

        // The cluster's YARN GPU scheduling (Hadoop's "Using GPU on YARN"): GPU resource type and plugin, cgroups
        // isolation through the LinuxContainerExecutor, and the dominant resource calculator.
        JsonNode conf = JSON.readTree(DEPLOY.resolve("emr/cluster-configurations.json").toFile());
        Map<String, JsonNode> byName = new java.util.HashMap<>();
        conf.forEach(c -> byName.put(c.path("Classification").asText(), c));
        assertEquals("yarn.io/gpu", byName.get("yarn-site").path("Properties").path("yarn.nodemanager.resource-plugins").asText());
        assertEquals("yarn.io/gpu", byName.get("yarn-site").path("Properties").path("yarn.resource-types").asText());
        assertEquals("org.apache.hadoop.yarn.util.resource.DominantResourceCalculator",
                byName.get("capacity-scheduler").path("Properties").path("yarn.scheduler.capacity.resource-calculator").asText());
    }

    @Test
    void emrServerlessRunsAreTheCpuStages() throws Exception {
        List<String> commands = new ArrayList<>();
        try (var listing = Files.list(DEPLOY.resolve("emr-serverless"))) {
            for (Path f : listing.sorted().toList()) {
                JsonNode run = JSON.readTree(f.toFile());
                String where = f.getFileName().toString();
                for (String field : List.of("applicationId", "executionRoleArn", "name", "jobDriver", "executionTimeoutMinutes")) {
                    assertFalse(run.path(field).isMissingNode(), where + ": no " + field);
                }
                JsonNode submit = run.path("jobDriver").path("sparkSubmit");
                assertTrue(submit.path("entryPoint").asText().endsWith("/" + distJarName()), where);
                List<String> params = List.of(submit.path("sparkSubmitParameters").asText().split(" "));
                assertMainClass(params.get(params.indexOf("--class") + 1), where);
                String files = params.get(params.indexOf("--files") + 1);
                List<String> args = new ArrayList<>();
                submit.path("entryPointArguments").forEach(a -> args.add(a.asText()));
                assertCommandLine(args, files.substring(files.lastIndexOf('/') + 1), where);
                assertEquals(where, args.get(0) + ".json");
                commands.add(args.get(0));
            }
        }
        assertEquals(List.of("prepare", "tokenize"), commands, "EMR Serverless has no GPUs: the CPU stages only");
    }

    /** The discovery script prints Spark's ResourceInformation JSON for the GPUs nvidia-smi lists. */
    @Test
    void gpuDiscoveryScriptPrintsWhatSparkReads(@TempDir Path dir) throws Exception {
        Path fake = dir.resolve("nvidia-smi");
        Files.writeString(fake, "#!/bin/sh\nprintf '0\\n1\\n3\\n'\n");
        assertTrue(fake.toFile().setExecutable(true));
        ProcessBuilder pb = new ProcessBuilder("bash", DEPLOY.resolve("emr/gpu-discovery.sh").toString());
        pb.environment().put("PATH", dir + ":" + System.getenv("PATH"));
        Process p = pb.redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        JsonNode info = JSON.readTree(out);
        assertEquals("gpu", info.path("name").asText());
        assertEquals(List.of("0", "1", "3"), JSON.convertValue(info.path("addresses"), List.class));
    }

    /** Where install-gpu-discovery.sh (the bootstrap action) puts the script. */
    private static String installedDiscoveryScript() throws Exception {
        String install = Files.readString(DEPLOY.resolve("emr/install-gpu-discovery.sh"));
        String marker = "install -m 0755 /tmp/tracedistill-gpu-discovery.sh ";
        int at = install.indexOf(marker);
        assertTrue(at >= 0, "install-gpu-discovery.sh no longer installs the script as expected");
        return install.substring(at + marker.length(), install.indexOf('\n', at)).strip();
    }

    private static int indexOfEnding(List<String> args, String suffix, String where) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).endsWith(suffix)) {
                return i;
            }
        }
        throw new AssertionError(where + ": no argument ends with " + suffix + ": " + args);
    }
}
