package io.tracedistill.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonlTokenShardReaderTest {

    @Test
    void readsADirectoryOfPartsInPositionOrder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("part-00001.jsonl"),
                "{\"position\":2,\"type\":\"b\",\"input_ids\":[5,6],\"labels\":[-100,6],\"extra\":\"x\"}\n");
        Files.writeString(dir.resolve("part-00000.jsonl"),
                "{\"position\":1,\"type\":\"a\",\"input_ids\":[3,4],\"labels\":[-100,4]}\n\n"
                        + "{\"position\":0,\"type\":\"a\",\"input_ids\":[1,2],\"labels\":[-100,2]}\n");
        Files.writeString(dir.resolve("_SUCCESS"), "");
        Files.writeString(dir.resolve(".part-00000.jsonl.crc"), "junk");
        JsonlTokenShardReader r = new JsonlTokenShardReader(dir);
        List<TokenExample> got = new ArrayList<>();
        r.open().forEachRemaining(got::add);
        assertEquals(List.of(0L, 1L, 2L), got.stream().map(TokenExample::position).toList());
        assertArrayEquals(new int[] {5, 6}, got.get(2).inputIds());
        assertEquals("b", got.get(2).type());
        assertEquals(3, r.count());
        List<TokenExample> again = new ArrayList<>();
        r.open().forEachRemaining(again::add);
        assertEquals(got, again, "every open() starts from the first example");
    }

    @Test
    void errorsNameTheFileLineAndColumn(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("p.jsonl");
        Files.writeString(f, "{\"position\":0,\"type\":\"a\",\"input_ids\":[1,2],\"labels\":[-100,2]}\n"
                + "{\"position\":1,\"type\":\"a\",\"input_ids\":[1,\"x\"],\"labels\":[-100,2]}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JsonlTokenShardReader(f).open());
        assertEquals(f + " line 2: input_ids[1] must be a 32-bit integer but was \"x\"", e.getMessage());

        Files.writeString(f, "{\"position\":0,\"type\":\"a\",\"input_ids\":[1,2]}\n");
        e = assertThrows(IllegalArgumentException.class, () -> new JsonlTokenShardReader(f).open());
        assertEquals(f + " line 1: missing column labels (token shard columns: position, type, input_ids, labels)", e.getMessage());

        Files.writeString(f, "{\"position\":0,\"input_ids\":[1],\"labels\":[1]}\n{\"position\":0,\"input_ids\":[1],\"labels\":[1]}\n");
        e = assertThrows(IllegalArgumentException.class, () -> new JsonlTokenShardReader(f).open());
        assertEquals("token shard " + f + " has position 0 twice; re-run the tokenize stage into an empty directory", e.getMessage());
    }

    @Test
    void missingShardSaysToTokenizeFirst(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JsonlTokenShardReader(missing).open());
        assertEquals("token shard " + missing + " does not exist; run the tokenize stage first", e.getMessage());
    }
}
