package io.tracedistill.spark;

import io.tracedistill.config.LoraSection;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.eval.EvalSettings;
import io.tracedistill.run.RunPath;
import io.tracedistill.train.TrainRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * {@code base_model}, {@code init_adapter} and the eval adapters may be folders on any Hadoop file system; DJL reads
 * local folders. This turns each into a local folder on the node that runs the code (the driver, or an executor in a
 * task: an eval partition, a training rank): a local path as it is, any other URI as its verified node-local copy ({@link NodeLocalCache#localFolder}).
 */
public final class ModelFolders {
    private ModelFolders() {}

    /** The local folder of {@code folder} on this node ({@code what} names it in messages: {@code base_model}). */
    public static Path local(Configuration conf, String folder, String what) {
        return NodeLocalCache.localFolder(new RunFiles(conf), new RunPath(folder), what);
    }

    /**
     * {@code settings} with its model and adapter folders local on this node (unchanged when they already are).
     * Call it on the node that loads them: the driver for its checks, each task for its decoding.
     */
    public static EvalSettings local(Configuration conf, EvalSettings settings) {
        if (new RunPath(settings.modelDir()).isLocal()
                && settings.arms().stream().allMatch(a -> a.adapterDir() == null || new RunPath(a.adapterDir()).isLocal())) {
            return settings;
        }
        List<ArmSpec> arms = new ArrayList<>();
        for (ArmSpec a : settings.arms()) {
            arms.add(a.adapterDir() == null ? a
                    : new ArmSpec(a.name(), local(conf, a.adapterDir(), "eval adapter '" + a.name() + "'").toString()));
        }
        return settings.withModelDir(local(conf, settings.modelDir(), "base_model").toString()).withArms(arms);
    }

    /**
     * {@code settings} with {@code init_adapter} local on this node (unchanged when it is local or unset): the trainer
     * reads this node's copy, the run's fingerprint keeps the configured URI (the caller fingerprints the original).
     */
    public static TrainRun.Settings local(Configuration conf, TrainRun.Settings settings) {
        LoraSection l = settings.lora();
        if (l.initAdapter().filter(a -> !new RunPath(a).isLocal()).isEmpty()) {
            return settings;
        }
        String copy = local(conf, l.initAdapter().get(), "init_adapter").toString();
        return settings.withLora(new LoraSection(l.rank(), l.alpha(), l.dropout(), l.targetModules(), java.util.Optional.of(copy)));
    }

    /**
     * The Hadoop configuration inside a task: a fresh one (the node's {@code core-site.xml}) with the application's
     * {@code spark.hadoop.*} settings laid over it, as Spark builds the driver's (S3A endpoint and credentials
     * included). Outside Spark, the fresh one.
     */
    public static Configuration taskConf() {
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            SparkConf sc = env.conf();
            for (Tuple2<String, String> kv : sc.getAllWithPrefix("spark.hadoop.")) {
                conf.set(kv._1(), kv._2());
            }
        }
        return conf;
    }
}
