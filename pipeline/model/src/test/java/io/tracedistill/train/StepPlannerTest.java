package io.tracedistill.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StepPlannerTest {

    /** Example i: length 2 + (i % 3), labels -100 on the first token only. */
    static List<TokenExample> examples(int n) {
        List<TokenExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 2 + (i % 3);
            int[] ids = new int[len];
            int[] labels = new int[len];
            for (int t = 0; t < len; t++) {
                ids[t] = 10 * i + t;
                labels[t] = t == 0 ? -100 : ids[t];
            }
            out.add(new TokenExample(i, "t" + (i % 2), ids, labels));
        }
        return out;
    }

    private static List<StepBatch> all(StepPlanner p, List<TokenExample> ex, List<TokenExample> truncated) {
        List<StepBatch> out = new ArrayList<>();
        p.epoch(new InMemoryTokenShardReader(ex), 0, 1, 0, truncated::add).forEachRemaining(out::add);
        return out;
    }

    @Test
    void nineExamplesBs2Gas2GiveThreeStepsAndAShortLastStep() {
        StepPlanner p = new StepPlanner(2, 2, 100, 99);
        assertEquals(3, p.stepsPerEpoch(9)); // ceil(ceil(9/2)/2) = ceil(5/2)
        List<StepBatch> steps = all(p, examples(9), new ArrayList<>());
        assertEquals(3, steps.size());
        assertEquals(List.of(2, 2), steps.get(0).microBatches().stream().map(MicroBatch::rows).toList());
        StepBatch last = steps.get(2);
        assertEquals(3, last.step());
        assertEquals(1, last.microBatches().size());           // one micro-batch with one example
        assertEquals(8L, last.microBatches().get(0).examples().get(0).position());
        assertEquals(8, last.firstExampleIndex());
        assertEquals(9, last.nextExampleIndex());
    }

    /**
     * Two ranks, micro-batches of 2 rows, 4 micro-batches a step (2 per rank), 13 examples, resumed at example 8:
     * each rank holds exactly its micro-batches (k mod 2 = rank) and reads no other example; together they hold
     * the single-process steps' micro-batches.
     */
    @Test
    void aRankHoldsAndReadsOnlyItsOwnMicroBatches() {
        StepPlanner p = new StepPlanner(2, 4, 100, 99);
        List<TokenExample> ex = examples(13);
        List<StepBatch> single = new ArrayList<>();
        p.epoch(new InMemoryTokenShardReader(ex), 0, 2, 8, e -> { }).forEachRemaining(single::add);
        assertEquals(1, single.size());
        for (int rank = 0; rank < 2; rank++) {
            List<Long> read = new ArrayList<>();
            TokenShardReader recording = new InMemoryTokenShardReader(ex);
            TokenShardReader reader = new TokenShardReader() {
                @Override
                public Iterator<TokenExample> open() {
                    throw new AssertionError("a rank opened the whole shard");
                }

                @Override
                public Iterator<IndexedExample> open(java.util.function.LongPredicate keep) {
                    List<IndexedExample> rows = new ArrayList<>();
                    recording.open(keep).forEachRemaining(r -> {
                        read.add(r.index());
                        rows.add(r);
                    });
                    return rows.iterator();
                }
            };
            List<StepBatch> steps = new ArrayList<>();
            p.epoch(reader, 0, 2, 8, 13, rank, 2, e -> { }).forEachRemaining(steps::add);
            assertEquals(rank == 0 ? List.of(8L, 9L, 12L) : List.of(10L, 11L), read, "rank " + rank + " read exactly its rows");
            assertEquals(1, steps.size());
            StepBatch s = steps.get(0);
            StepBatch whole = single.get(0);
            assertEquals(whole.firstExampleIndex(), s.firstExampleIndex());
            assertEquals(5, s.numExamples());
            assertEquals(13, s.nextExampleIndex());
            assertEquals(whole.microBatches().size(), s.microBatches().size()); // 3: [8, 9], [10, 11], [12]
            for (int k = 0; k < whole.microBatches().size(); k++) {
                assertEquals(k % 2 == rank, s.holds(k), "micro-batch " + k);
                if (s.holds(k)) {
                    assertArrayEquals(whole.microBatches().get(k).inputIds(), s.microBatches().get(k).inputIds());
                }
            }
        }
    }

    @Test
    void collatorRightPadsWithPadIdMaskZeroAndLabelMinus100() {
        StepPlanner p = new StepPlanner(2, 1, 100, 99);
        MicroBatch mb = all(p, examples(2), new ArrayList<>()).get(0).microBatches().get(0);
        // example 0: len 2 [0, 1]; example 1: len 3 [10, 11, 12] -> padded length 3
        assertEquals(3, mb.paddedLength());
        assertArrayEquals(new int[] {0, 1, 99, 10, 11, 12}, mb.inputIds());
        assertArrayEquals(new int[] {1, 1, 0, 1, 1, 1}, mb.attentionMask());
        assertArrayEquals(new int[] {-100, 1, -100, -100, 11, 12}, mb.labels());
        assertEquals(5, mb.numTokens());
    }

    @Test
    void numItemsCountsShiftedLabelsOverTheWholeStep() {
        StepPlanner p = new StepPlanner(2, 2, 100, 0);
        // lengths 2,3,4,2 -> supervised after shift 1,2,3,1 = 7
        StepBatch s = all(p, examples(4), new ArrayList<>()).get(0);
        assertEquals(7, s.numItemsInBatch());
        assertEquals(3, s.microBatches().get(0).numShiftedLabelTokens());
        assertEquals(4, s.microBatches().get(1).numShiftedLabelTokens());
    }

    @Test
    void truncatesKeepStartAndReportsIt() {
        StepPlanner p = new StepPlanner(1, 1, 3, 0);
        List<TokenExample> cut = new ArrayList<>();
        List<StepBatch> steps = all(p, examples(3), cut); // lengths 2, 3, 4
        assertEquals(1, cut.size());
        assertEquals(2L, cut.get(0).position());
        assertArrayEquals(new int[] {20, 21, 22}, steps.get(2).microBatches().get(0).inputIds());
    }

    @Test
    void resumingAtAStepBoundarySkipsTheTrainedExamples() {
        StepPlanner p = new StepPlanner(2, 2, 100, 0);
        Iterator<StepBatch> it = p.epoch(new InMemoryTokenShardReader(examples(9)), 0, 2, 4, e -> { });
        StepBatch s = it.next();
        assertEquals(2, s.step());
        assertEquals(4L, s.microBatches().get(0).examples().get(0).position());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.epoch(new InMemoryTokenShardReader(examples(9)), 0, 1, 3, x -> { }));
        assertEquals("data position 3 is not a step boundary (effective batch 4); the checkpoint does not belong to this configuration",
                e.getMessage());
    }

    @Test
    void mismatchedLabelsAreRejectedWithThePosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TokenExample(7, "x", new int[] {1, 2}, new int[] {1}));
        assertEquals("example at position 7: input_ids has 2 tokens but labels has 1; re-run the tokenize stage", e.getMessage());
    }
}
