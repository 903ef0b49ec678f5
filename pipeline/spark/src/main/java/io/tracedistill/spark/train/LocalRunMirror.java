package io.tracedistill.spark.train;

import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.NodeLocalCache;
import io.tracedistill.spark.RunFiles;
import io.tracedistill.train.StepListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileStatus;

/**
 * Training's local working folder for an {@code output_dir} on any Hadoop file system. The trainer (DJL) reads and
 * writes local files; when {@code output_dir} is not local ({@code s3a://}, {@code hdfs://}, {@code dbfs:/}) it trains
 * in a node-local mirror, {@code <NodeLocalCache.root()>/runs/<sha256 of output_dir>}, and this class keeps
 * {@code output_dir} up to date:
 * <ol>
 *   <li>{@link #open}: without {@code --resume}, deletes {@code output_dir/checkpoints} (as the trainer clears its
 *       own for a fresh run); with it, deletes the checkpoints whose upload a kill interrupted and copies the complete
 *       checkpoints ({@code checkpoints/phase*-step*} holding
 *       {@code state.json}), the finished phases' settings records ({@code checkpoints/phase*.settings}),
 *       {@code metrics.jsonl} and {@code phase1_adapter/} down;</li>
 *   <li>{@link #listener}: after every optimizer step, uploads each checkpoint the trainer finished since (metrics
 *       first, so the uploaded metrics are never older than the newest uploaded checkpoint; a resume drops the
 *       records after its checkpoint), then deletes the remote checkpoints the trainer pruned, uploads the settings
 *       records and {@code phase1_adapter/} once written and {@code best_adapter/} whenever its
 *       {@code best_step.json} changed;</li>
 *   <li>{@link #publish}: uploads everything else the trainer wrote (adapters, metrics, charts,
 *       {@code submission.zip}, ...), then {@code report.md}, the train step's completion marker, last.</li>
 * </ol>
 * Every upload is atomic per file and per folder ({@link RunFiles#uploadDirectory}: a checkpoint is complete on the
 * file system once its {@code state.json} is there, an adapter once its weights are). A driver killed mid-run leaves
 * on {@code output_dir} complete checkpoints at most one checkpoint interval old, which {@code --resume} continues.
 *
 * <p>For a local {@code output_dir} the trainer writes there directly and this class copies nothing.
 *
 * <p>With {@code train_on: executors} every rank opens its own mirror ({@link #forRank}; ranks may share a node):
 * rank 0 writes and uploads as above, the other ranks only download what they resume from.
 */
public final class LocalRunMirror {
    private static final String CHECKPOINT_COMPLETE = "state.json";
    /** Written last into {@code best_adapter/} by the trainer ({@code TwoPhaseTrainer.BEST_STEP_FILE}). */
    private static final String BEST_STEP = io.tracedistill.train.TwoPhaseTrainer.BEST_STEP_FILE;
    /** A finished phase's settings record in {@code checkpoints/} ({@code PhaseCheckpoints}: {@code phase1.settings}). */
    private static final String SETTINGS_RECORD = ".settings";

    private final RunFiles files;
    private final OutputLayout remote;
    private final Path local;
    private final boolean mirrored;
    /** Whether this mirror uploads (the driver, or rank 0); a reader only downloads what it resumes from. */
    private final boolean writer;
    private final Set<String> uploadedCheckpoints = new HashSet<>();
    private boolean phase1AdapterUploaded;
    /** The {@code best_step.json} of the {@code best_adapter/} on output_dir (null: none yet). */
    private String bestUploaded;
    /** The settings records on output_dir, by file name: their text as uploaded. */
    private final java.util.Map<String, String> uploadedSettings = new java.util.HashMap<>();

    private LocalRunMirror(RunFiles files, OutputLayout remote, Path local, boolean mirrored, boolean writer) {
        this.files = files;
        this.remote = remote;
        this.local = local;
        this.mirrored = mirrored;
        this.writer = writer;
    }

    /** The working folder for {@code layout}'s run trained in this JVM (see the class comment). */
    public static LocalRunMirror open(RunFiles files, OutputLayout layout, boolean resume) {
        return open(files, layout, resume, "", true);
    }

    /**
     * The working folder of rank {@code rank} of {@code train_on: executors}: its own local folder (ranks on one node
     * must not share one), uploading only for rank 0.
     */
    public static LocalRunMirror forRank(RunFiles files, OutputLayout layout, boolean resume, int rank) {
        return open(files, layout, resume, "-rank" + rank, rank == 0);
    }

    private static LocalRunMirror open(RunFiles files, OutputLayout layout, boolean resume, String localSuffix, boolean writer) {
        if (layout.root().isLocal()) {
            return new LocalRunMirror(files, layout, layout.root().toLocalPath(), false, writer);
        }
        String qualified = files.qualify(layout.root()).uri();
        Path local = NodeLocalCache.root().resolve("runs")
                .resolve(RunFiles.sha256Hex(qualified.getBytes(StandardCharsets.UTF_8)) + localSuffix);
        LocalRunMirror m = new LocalRunMirror(files, layout, local, true, writer);
        try {
            NodeLocalCache.deleteRecursively(local); // a previous attempt's leftovers: output_dir is the truth
            Files.createDirectories(local);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the local training folder " + local + ": " + e.getMessage(), e);
        }
        if (!resume && writer) {
            // A fresh run: the trainer clears its stale checkpoints, so must output_dir (a later --resume must not
            // find an earlier run's newer checkpoint there).
            files.delete(layout.checkpoints());
        }
        if (resume) {
            OutputLayout mine = OutputLayout.ofLocal(local);
            if (files.isFile(layout.bestAdapter().resolve(BEST_STEP))) {
                files.downloadDirectory(layout.bestAdapter(), mine.bestAdapter().toLocalPath());
                m.bestUploaded = files.readString(layout.bestAdapter().resolve(BEST_STEP));
            }
            for (FileStatus s : files.list(layout.checkpoints())) {
                RunPath cp = layout.checkpoints().resolve(s.getPath().getName());
                if (s.isFile() && s.getPath().getName().endsWith(SETTINGS_RECORD)) {
                    files.downloadFile(cp, mine.checkpoints().resolve(s.getPath().getName()).toLocalPath());
                    m.uploadedSettings.put(s.getPath().getName(), files.readString(cp));
                }
                if (s.isDirectory() && !s.getPath().getName().startsWith("_") && !s.getPath().getName().startsWith(".")) {
                    if (files.isFile(cp.resolve(CHECKPOINT_COMPLETE))) {
                        files.downloadDirectory(cp, mine.checkpoints().resolve(s.getPath().getName()).toLocalPath());
                        m.uploadedCheckpoints.add(s.getPath().getName());
                    } else if (writer) {
                        // A checkpoint whose upload a kill interrupted (no state.json): never resumed from; removed so
                        // nothing half-written stays on output_dir.
                        files.delete(cp);
                    }
                }
            }
            if (files.isFile(layout.metrics())) {
                files.downloadFile(layout.metrics(), mine.metrics().toLocalPath());
            }
            if (files.isFile(layout.phase1Adapter().resolve(PeftAdapter.WEIGHTS_FILE))) {
                files.downloadDirectory(layout.phase1Adapter(), mine.phase1Adapter().toLocalPath());
                m.phase1AdapterUploaded = true;
            }
        }
        return m;
    }

    /** The folder the trainer writes into ({@code output_dir} itself when it is local). */
    public Path localDir() {
        return local;
    }

    /** Whether the trainer works on a local copy that is uploaded to {@code output_dir}. */
    public boolean mirrored() {
        return mirrored;
    }

    /** {@code next}, then {@link #sync()} after every step. */
    public StepListener listener(StepListener next) {
        if (!mirrored || !writer) {
            return next;
        }
        return rec -> {
            if (next != null) {
                next.onStep(rec);
            }
            sync();
        };
    }

    /** Uploads the checkpoints finished since the last call and deletes the pruned ones; {@code phase1_adapter/}. */
    public void sync() {
        if (!mirrored || !writer) {
            return;
        }
        OutputLayout mine = OutputLayout.ofLocal(local);
        Path checkpoints = mine.checkpoints().toLocalPath();
        Set<String> present = new TreeSet<>();
        List<Path> settingsRecords = List.of();
        if (Files.isDirectory(checkpoints)) {
            try (Stream<Path> dirs = Files.list(checkpoints)) {
                List<Path> all = dirs.filter(d -> !d.getFileName().toString().startsWith(".")).sorted().toList();
                all.stream().filter(d -> Files.isRegularFile(d.resolve(CHECKPOINT_COMPLETE)))
                        .map(d -> d.getFileName().toString()).forEach(present::add);
                settingsRecords = all.stream().filter(f -> Files.isRegularFile(f)
                        && f.getFileName().toString().endsWith(SETTINGS_RECORD)).toList();
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot list " + checkpoints + ": " + e.getMessage(), e);
            }
        }
        for (Path record : settingsRecords) {
            try {
                String text = Files.readString(record, StandardCharsets.UTF_8);
                String name = record.getFileName().toString();
                if (!text.equals(uploadedSettings.get(name))) {
                    files.uploadFile(record, remote.checkpoints().resolve(name));
                    uploadedSettings.put(name, text);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + record + ": " + e.getMessage(), e);
            }
        }
        List<String> fresh = present.stream().filter(n -> !uploadedCheckpoints.contains(n)).toList();
        if (!fresh.isEmpty()) {
            uploadIfPresent(mine.metrics(), remote.metrics());
        }
        for (String name : fresh) {
            files.uploadDirectory(checkpoints.resolve(name), remote.checkpoints().resolve(name), CHECKPOINT_COMPLETE);
            uploadedCheckpoints.add(name);
        }
        for (String gone : List.copyOf(uploadedCheckpoints)) {
            if (!present.contains(gone)) {
                files.delete(remote.checkpoints().resolve(gone));
                uploadedCheckpoints.remove(gone);
            }
        }
        Path phase1 = mine.phase1Adapter().toLocalPath();
        if (!phase1AdapterUploaded && Files.isRegularFile(phase1.resolve(PeftAdapter.WEIGHTS_FILE))) {
            files.uploadDirectory(phase1, remote.phase1Adapter(), PeftAdapter.WEIGHTS_FILE);
            phase1AdapterUploaded = true;
        }
        Path bestStep = mine.bestAdapter().toLocalPath().resolve(BEST_STEP);
        if (Files.isRegularFile(bestStep)) {
            try {
                String best = Files.readString(bestStep, StandardCharsets.UTF_8);
                if (!best.equals(bestUploaded)) {
                    files.uploadDirectory(mine.bestAdapter().toLocalPath(), remote.bestAdapter(), BEST_STEP);
                    bestUploaded = best;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + bestStep + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Training finished: uploads the checkpoints, adapters, metrics, chart and zip, and {@code report.md} last (the
     * step's completion marker). Nothing to do for a local {@code output_dir}.
     */
    public void publish() {
        if (!mirrored || !writer) {
            return;
        }
        OutputLayout mine = OutputLayout.ofLocal(local);
        sync();
        if (!Files.isRegularFile(mine.report().toLocalPath())) {
            throw new IllegalStateException("training wrote no " + mine.report().toLocalPath() + "; nothing is published"
                    + " as finished");
        }
        // Every other file and folder the trainer wrote (names starting with '.' are its own temporaries).
        List<Path> entries;
        try (Stream<Path> s = Files.list(local)) {
            entries = s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + local + ": " + e.getMessage(), e);
        }
        for (Path e : entries) {
            String name = e.getFileName().toString();
            if (name.startsWith(".") || name.equals(OutputLayout.CHECKPOINTS) || name.equals(OutputLayout.REPORT)
                    || (name.equals(OutputLayout.BEST_ADAPTER) && bestUploaded != null)) {
                continue; // checkpoints and best_adapter/ are in step already (sync); the report goes last
            }
            RunPath target = remote.root().resolve(name);
            if (Files.isDirectory(e)) {
                String complete = Files.isRegularFile(e.resolve(BEST_STEP)) ? BEST_STEP
                        : Files.isRegularFile(e.resolve(PeftAdapter.WEIGHTS_FILE)) ? PeftAdapter.WEIGHTS_FILE : null;
                files.uploadDirectory(e, target, complete);
            } else {
                files.uploadFile(e, target);
            }
        }
        files.uploadFile(mine.report().toLocalPath(), remote.report());
    }

    /** The path on {@code output_dir} of a file the trainer wrote locally (for messages). */
    public String remoteOf(Path localFile) {
        if (!mirrored) {
            return localFile.toAbsolutePath().toString();
        }
        return remote.root().resolve(local.relativize(localFile.toAbsolutePath()).toString().replace('\\', '/')).uri();
    }

    private void uploadIfPresent(RunPath localFile, RunPath target) {
        Path f = localFile.toLocalPath();
        if (Files.isRegularFile(f)) {
            files.uploadFile(f, target);
        }
    }
}
