package io.tracedistill.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.run.RunPath;
import io.tracedistill.testdata.SchemeLocalFileSystem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Run files on a file system that is not {@code file:} (the local disk under the test scheme {@code tdtest:}, opened
 * only through Hadoop, as {@code s3a://} and {@code hdfs://} are), in both write modes: temp-and-rename (HDFS-like)
 * and direct-to-final-name (object store: the scheme listed in {@link RunFiles#OBJECT_STORE_SCHEMES_KEY}).
 */
class RunFilesTest {

    private static RunFiles files(boolean objectStore) {
        Configuration conf = SchemeLocalFileSystem.register(new Configuration());
        if (objectStore) {
            conf.set(RunFiles.OBJECT_STORE_SCHEMES_KEY, "s3a, " + SchemeLocalFileSystem.SCHEME);
        }
        return new RunFiles(conf);
    }

    private static List<String> tree(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
    }

    @ParameterizedTest(name = "object store: {0}")
    @ValueSource(booleans = {false, true})
    void filesAreWrittenWholeAndLeaveNothingElse(boolean objectStore, @TempDir Path tmp) throws Exception {
        RunFiles f = files(objectStore);
        RunPath root = new RunPath(SchemeLocalFileSystem.uri(tmp));
        assertEquals(!objectStore, f.renameIsAtomic(root));
        RunPath ledger = root.resolve(".steps/train.json");
        assertFalse(f.exists(ledger));
        assertEquals("absent", f.sha256(ledger));
        f.writeAtomically(ledger, "{\"a\": 1}".getBytes(StandardCharsets.UTF_8));
        f.writeAtomically(ledger, "{\"a\": 2}".getBytes(StandardCharsets.UTF_8)); // replaces
        assertEquals("{\"a\": 2}", f.readString(ledger));
        assertEquals("{\"a\": 2}", Files.readString(tmp.resolve(".steps/train.json")), "it is the local file underneath");
        assertTrue(f.isFile(ledger));
        assertFalse(f.isDirectory(ledger));
        assertTrue(f.isDirectory(root.resolve(".steps")));
        // sha256("abc"), as StepLedger.fileHash gives it for a local file
        f.writeAtomically(root.resolve("abc"), "abc".getBytes(StandardCharsets.UTF_8));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", f.sha256(root.resolve("abc")));
        assertEquals(List.of(".steps/train.json", "abc"), tree(tmp), "no temporary, no .crc side file");
        f.delete(root.resolve(".steps"));
        assertFalse(f.exists(ledger));
        assertTrue(f.qualify(new RunPath(SchemeLocalFileSystem.uri(tmp) + "/x/../y")).uri().startsWith("tdtest:/"));
    }

    @ParameterizedTest(name = "object store: {0}")
    @ValueSource(booleans = {false, true})
    void aFolderIsPublishedWithItsCompletionFileAndCopiedBack(boolean objectStore, @TempDir Path tmp) throws Exception {
        RunFiles f = files(objectStore);
        Path local = Files.createDirectories(tmp.resolve("local/adapter"));
        Files.writeString(local.resolve("adapter_config.json"), "{}");
        Files.write(local.resolve("adapter_model.safetensors"), new byte[] {1, 2, 3});
        Files.createDirectories(local.resolve("sub"));
        Files.writeString(local.resolve("sub/x.txt"), "x");
        RunPath target = new RunPath(SchemeLocalFileSystem.uri(tmp.resolve("remote/adapter")));
        Files.createDirectories(tmp.resolve("remote/adapter"));
        Files.writeString(tmp.resolve("remote/adapter/stale.bin"), "old run");
        f.uploadDirectory(local, target, "adapter_model.safetensors");
        assertEquals(List.of("adapter/adapter_config.json", "adapter/adapter_model.safetensors", "adapter/sub/x.txt"),
                tree(tmp.resolve("remote")), "the old folder is replaced whole; no staging folder is left");
        Path back = tmp.resolve("back");
        assertEquals(3, f.downloadDirectory(target, back));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(back.resolve("adapter_model.safetensors")));
        assertEquals("x", Files.readString(back.resolve("sub/x.txt")));
        assertEquals(0, f.downloadDirectory(target.resolve("nope"), tmp.resolve("none")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> f.uploadDirectory(local, target, "missing.json"));
        assertTrue(e.getMessage().contains("has no missing.json"), e.getMessage());
    }

    @Test
    void aFolderOnAHadoopFileSystemIsCopiedOncePerNodeAndReusedUntilItChanges(@TempDir Path tmp) throws Exception {
        RunFiles f = files(false);
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"x\": 1}");
        Files.write(model.resolve("model.safetensors"), new byte[1000]);
        String old = System.getProperty(NodeLocalCache.DIR_PROPERTY);
        System.setProperty(NodeLocalCache.DIR_PROPERTY, tmp.resolve("cache").toString());
        try {
            RunPath remote = new RunPath(SchemeLocalFileSystem.uri(model));
            Path first = NodeLocalCache.localFolder(f, remote, "base_model");
            assertTrue(first.startsWith(tmp.resolve("cache")), first.toString());
            assertEquals("{\"x\": 1}", Files.readString(first.resolve("config.json")));
            String record = Files.readString(first.resolve(NodeLocalCache.RECORD));
            assertTrue(record.contains("\"model.safetensors\": {\"bytes\": 1000, \"sha256\": \"541b3e9daa09b20bf85fa273e5cbd3e8"),
                    record);
            long copied = Files.getLastModifiedTime(first.resolve("config.json")).toMillis();
            assertEquals(first, NodeLocalCache.localFolder(f, remote, "base_model"), "reused");
            assertEquals(copied, Files.getLastModifiedTime(first.resolve("config.json")).toMillis(), "not copied again");
            Files.writeString(model.resolve("config.json"), "{\"x\": 22}");
            Path second = NodeLocalCache.localFolder(f, remote, "base_model");
            assertNotEquals(first, second, "a changed folder is a new copy");
            assertEquals("{\"x\": 22}", Files.readString(second.resolve("config.json")));
            try (Stream<Path> s = Files.list(tmp.resolve("cache/folders"))) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("_tmp-")), "no staging folder left");
            }
            assertEquals(model, NodeLocalCache.localFolder(f, new RunPath(model.toString()), "base_model"),
                    "a local folder is used where it is");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeLocalCache.localFolder(f,
                    new RunPath(SchemeLocalFileSystem.uri(tmp.resolve("nope"))), "base_model"));
            assertTrue(e.getMessage().startsWith("base_model tdtest:") && e.getMessage().contains("is not a folder"),
                    e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(NodeLocalCache.DIR_PROPERTY);
            } else {
                System.setProperty(NodeLocalCache.DIR_PROPERTY, old);
            }
        }
    }

    /** Ranks and eval partitions on one node copy the same folder at once: every one gets the one finished copy. */
    @Test
    void tasksCopyingTheSameFolderAtOnceAllGetTheFinishedCopy(@TempDir Path tmp) throws Exception {
        RunFiles f = files(false);
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.write(model.resolve("model.safetensors"), new byte[100_000]);
        String old = System.getProperty(NodeLocalCache.DIR_PROPERTY);
        System.setProperty(NodeLocalCache.DIR_PROPERTY, tmp.resolve("cache").toString());
        var pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            for (int round = 0; round < 5; round++) {
                Files.writeString(model.resolve("config.json"), "{\"round\": " + round + "}"); // a new folder each round
                RunPath remote = new RunPath(SchemeLocalFileSystem.uri(model));
                var start = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<Path>> copies = new java.util.ArrayList<>();
                for (int t = 0; t < 6; t++) {
                    copies.add(pool.submit(() -> {
                        start.await();
                        return NodeLocalCache.localFolder(f, remote, "base_model");
                    }));
                }
                start.countDown();
                Path first = copies.get(0).get();
                for (var c : copies) {
                    assertEquals(first, c.get(), "round " + round);
                }
                assertEquals("{\"round\": " + round + "}", Files.readString(first.resolve("config.json")));
                assertTrue(Files.isRegularFile(first.resolve(NodeLocalCache.RECORD)));
            }
            try (Stream<Path> s = Files.list(tmp.resolve("cache/folders"))) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("_tmp-")), "no staging folder left");
            }
        } finally {
            pool.shutdownNow();
            if (old == null) {
                System.clearProperty(NodeLocalCache.DIR_PROPERTY);
            } else {
                System.setProperty(NodeLocalCache.DIR_PROPERTY, old);
            }
        }
    }
}
