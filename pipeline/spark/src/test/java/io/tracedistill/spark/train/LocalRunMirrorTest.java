package io.tracedistill.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.run.OutputLayout;
import io.tracedistill.spark.NodeLocalCache;
import io.tracedistill.spark.RunFiles;
import io.tracedistill.testdata.SchemeLocalFileSystem;
import io.tracedistill.train.StepListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on a non-local output_dir ({@code tdtest:}, opened only through Hadoop, as {@code s3a://} is): the trainer's
 * local files reach output_dir as it goes (checkpoints after the step that follows them, pruned ones deleted, the
 * phase-1 adapter), everything at the end with {@code report.md} last, and a resume starts from what output_dir holds.
 * The trainer is played by writing the files it writes.
 */
class LocalRunMirrorTest {
    @TempDir
    Path tmp;
    private String oldCache;

    @BeforeEach
    void cache() {
        oldCache = System.getProperty(NodeLocalCache.DIR_PROPERTY);
        System.setProperty(NodeLocalCache.DIR_PROPERTY, tmp.resolve("cache").toString());
    }

    @AfterEach
    void restore() {
        if (oldCache == null) {
            System.clearProperty(NodeLocalCache.DIR_PROPERTY);
        } else {
            System.setProperty(NodeLocalCache.DIR_PROPERTY, oldCache);
        }
    }

    private static List<String> tree(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
    }

    private static void checkpoint(Path local, String name) throws Exception {
        Path d = Files.createDirectories(local.resolve("checkpoints").resolve(name));
        Files.writeString(d.resolve("lora.safetensors"), name);
        Files.writeString(d.resolve("optimizer.safetensors"), name);
        Files.writeString(d.resolve("state.json"), "{\"name\": \"" + name + "\"}");
    }

    @Test
    void outputsReachOutputDirAsTrainingGoesAndAResumeStartsFromThem() throws Exception {
        RunFiles files = new RunFiles(SchemeLocalFileSystem.register(new Configuration()));
        Path remoteDir = tmp.resolve("remote");
        OutputLayout remote = OutputLayout.of(SchemeLocalFileSystem.uri(remoteDir));
        LocalRunMirror m = LocalRunMirror.open(files, remote, false);
        assertTrue(m.mirrored());
        Path local = m.localDir();
        assertTrue(local.startsWith(tmp.resolve("cache/runs")), local.toString());
        AtomicInteger steps = new AtomicInteger();
        StepListener l = m.listener(r -> steps.incrementAndGet());

        Files.writeString(local.resolve("metrics.jsonl"), "{\"step\": 1}\n");
        checkpoint(local, "phase1-step000002");
        Files.createDirectories(local.resolve("checkpoints/.tmp-half")); // a checkpoint being written: never uploaded
        l.onStep(null);
        assertEquals(1, steps.get(), "the trainer's own listener still runs");
        assertEquals(List.of("checkpoints/phase1-step000002/lora.safetensors",
                "checkpoints/phase1-step000002/optimizer.safetensors", "checkpoints/phase1-step000002/state.json",
                "metrics.jsonl"), tree(remoteDir));

        checkpoint(local, "phase1-step000004");
        NodeLocalCache.deleteRecursively(local.resolve("checkpoints/phase1-step000002")); // pruned (keep 1 here)
        Path p1 = Files.createDirectories(local.resolve("phase1_adapter"));
        Files.writeString(p1.resolve("adapter_config.json"), "{}");
        Files.writeString(p1.resolve("adapter_model.safetensors"), "p1");
        Path best = Files.createDirectories(local.resolve("best_adapter"));
        Files.writeString(best.resolve("adapter_model.safetensors"), "best at 2");
        Files.writeString(best.resolve("best_step.json"), "{\"step\": 2}");
        l.onStep(null);
        List<String> afterStep4 = List.of("best_adapter/adapter_model.safetensors", "best_adapter/best_step.json",
                "checkpoints/phase1-step000004/lora.safetensors",
                "checkpoints/phase1-step000004/optimizer.safetensors", "checkpoints/phase1-step000004/state.json",
                "metrics.jsonl", "phase1_adapter/adapter_config.json", "phase1_adapter/adapter_model.safetensors");
        assertEquals(afterStep4, tree(remoteDir));
        Files.writeString(best.resolve("adapter_model.safetensors"), "best at 4");
        Files.writeString(best.resolve("best_step.json"), "{\"step\": 4}");
        l.onStep(null);
        assertEquals("best at 4", Files.readString(remoteDir.resolve("best_adapter/adapter_model.safetensors")),
                "a new best adapter replaces the old one on output_dir");
        assertFalse(files.exists(remote.report()), "not finished yet");

        // A killed driver: a new attempt resumes from what output_dir holds; a checkpoint whose upload the kill
        // interrupted (no state.json) is removed.
        Path partial = Files.createDirectories(remoteDir.resolve("checkpoints/phase1-step000006"));
        Files.writeString(partial.resolve("lora.safetensors"), "half");
        LocalRunMirror again = LocalRunMirror.open(files, remote, true);
        assertFalse(Files.exists(partial), "the interrupted upload is gone");
        assertEquals(local, again.localDir(), "the same node-local folder, emptied and refilled from output_dir");
        assertEquals(afterStep4, tree(local));

        checkpoint(local, "phase2-step000003");
        Path adapter = Files.createDirectories(local.resolve("adapter"));
        Files.writeString(adapter.resolve("adapter_config.json"), "{}");
        Files.writeString(adapter.resolve("adapter_model.safetensors"), "final");
        Files.writeString(local.resolve("training_curves.png"), "png");
        Files.writeString(local.resolve("heldout_loss.png"), "png"); // any file the trainer writes is published
        Files.writeString(local.resolve("submission.zip"), "zip");
        Files.writeString(local.resolve("report.md"), "# report");
        again.publish();
        assertEquals(tree(local), tree(remoteDir), "output_dir holds what the trainer wrote");
        assertEquals(remote.report().uri(), again.remoteOf(local.resolve("report.md")));
        assertTrue(files.exists(remote.report()));

        LocalRunMirror fresh = LocalRunMirror.open(files, remote, false);
        assertEquals(List.of(), tree(fresh.localDir()), "without --resume nothing is copied down");
        assertFalse(files.exists(remote.checkpoints()), "a fresh run leaves no earlier run's checkpoint to resume from");
        assertTrue(files.exists(remote.adapter()), "only the checkpoints go");
    }

    @Test
    void ranksMirrorIntoTheirOwnFoldersAndOnlyRankZeroUploadsSettingsRecordsIncluded() throws Exception {
        RunFiles files = new RunFiles(SchemeLocalFileSystem.register(new Configuration()));
        Path remoteDir = tmp.resolve("remote-ranks");
        OutputLayout remote = OutputLayout.of(SchemeLocalFileSystem.uri(remoteDir));
        LocalRunMirror rank0 = LocalRunMirror.forRank(files, remote, false, 0);
        LocalRunMirror rank1 = LocalRunMirror.forRank(files, remote, false, 1);
        assertTrue(!rank0.localDir().equals(rank1.localDir()), "ranks on one node train in separate folders");
        for (LocalRunMirror m : List.of(rank0, rank1)) {
            checkpoint(m.localDir(), "phase1-step000002");
            // The phase-end record of PhaseCheckpoints, which a resume in phase 2 checks phase 1's settings against.
            Files.writeString(m.localDir().resolve("checkpoints/phase1.settings"), "lr 2e-3");
            m.listener(null);
            m.sync();
        }
        List<String> uploaded = List.of("checkpoints/phase1-step000002/lora.safetensors",
                "checkpoints/phase1-step000002/optimizer.safetensors", "checkpoints/phase1-step000002/state.json",
                "checkpoints/phase1.settings");
        assertEquals(uploaded, tree(remoteDir), "rank 0 uploaded its checkpoint and the settings record");
        Files.writeString(rank1.localDir().resolve("report.md"), "# not rank 0's");
        rank1.publish();
        assertFalse(files.exists(remote.report()), "rank 1 publishes nothing");

        LocalRunMirror fresh1 = LocalRunMirror.forRank(files, remote, false, 1);
        assertEquals(uploaded, tree(remoteDir), "a fresh rank 1 leaves output_dir's checkpoints to rank 0");
        assertEquals(List.of(), tree(fresh1.localDir()));
        LocalRunMirror resumed1 = LocalRunMirror.forRank(files, remote, true, 1);
        assertEquals(uploaded, tree(resumed1.localDir()), "a resuming rank reads the checkpoint and the settings record");
        Files.writeString(rank0.localDir().resolve("checkpoints/phase1.settings"), "lr 1e-3");
        rank0.sync();
        assertEquals("lr 1e-3", Files.readString(remoteDir.resolve("checkpoints/phase1.settings")), "a changed record is uploaded");
    }

    @Test
    void aLocalOutputDirIsWrittenInPlace() throws Exception {
        RunFiles files = new RunFiles(new Configuration());
        LocalRunMirror m = LocalRunMirror.open(files, OutputLayout.ofLocal(tmp.resolve("out")), true);
        assertFalse(m.mirrored());
        assertEquals(tmp.resolve("out"), m.localDir());
        StepListener same = r -> { };
        assertTrue(m.listener(same) == same, "no syncing listener for a local output_dir");
        m.publish(); // nothing to upload, no report needed
    }
}
