package io.tracedistill.train;

import io.tracedistill.run.Phase;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

/**
 * Cuts a phase's examples into micro-batches and optimizer steps, the way the HF Trainer's
 * sequential dataloader plus gradient accumulation does with {@code shuffle_dataset=False} and
 * {@code dataloader_drop_last=False}:
 *
 * <pre>
 *   micro-batch k = examples[bs*k : bs*k + bs]          (the last one may be short)
 *   step s (1-based) = micro-batches gas*(s-1) .. gas*s-1 (the last step of an epoch may have fewer)
 *   steps per epoch = ceil(ceil(N / bs) / gas);  total = epochs * steps per epoch
 *   every epoch sees the same order.
 * </pre>
 *
 * Examples longer than {@code maxLength} are truncated keep-start. The iterator streams: it holds one
 * step's examples at a time.
 */
public final class StepPlanner {

    private final int batchSize;
    private final int gradAccum;
    private final int maxLength;
    private final int padId;

    /**
     * @param perDeviceTrainBatchSize rows per micro-batch
     * @param microBatchesPerStep     micro-batches per optimizer step ({@link io.tracedistill.config.TrainSection#microBatchesPerStep})
     * @param maxLength               keep-start truncation length
     * @param padId                   the pad token id
     */
    public StepPlanner(int perDeviceTrainBatchSize, int microBatchesPerStep, int maxLength, int padId) {
        this.batchSize = perDeviceTrainBatchSize;
        this.gradAccum = microBatchesPerStep;
        this.maxLength = maxLength;
        this.padId = padId;
    }

    /** The planner of one phase of {@code train}: micro-batches of per_device_train_batch_size, steps of
     * gradient_accumulation_steps × world_size of them. */
    public static StepPlanner of(io.tracedistill.config.TrainSection train, Phase phase, int maxLength, int padId) {
        return new StepPlanner(train.phase(phase).perDeviceTrainBatchSize(), train.microBatchesPerStep(phase), maxLength, padId);
    }

    /** Optimizer steps in one epoch of {@code numExamples} examples. */
    public int stepsPerEpoch(long numExamples) {
        long microBatches = (numExamples + batchSize - 1) / batchSize;
        return Math.toIntExact((microBatches + gradAccum - 1) / gradAccum);
    }

    /**
     * The steps of one epoch, starting at the step whose first example is {@code startExampleIndex}
     * (0 for a fresh epoch; a resumed run passes the saved data position, which is always a step
     * boundary). {@code onTruncate} is told about each truncated example.
     */
    public Iterator<StepBatch> epoch(TokenShardReader reader, int epoch, int firstStepNumber, long startExampleIndex,
                                     Consumer<TokenExample> onTruncate) {
        return epoch(reader, epoch, firstStepNumber, startExampleIndex, reader.count(), 0, 1, onTruncate);
    }

    /**
     * As {@link #epoch(TokenShardReader, int, int, long, Consumer)}, for rank {@code rank} of {@code worldSize}
     * ({@code microBatchesPerStep} a multiple of it): micro-batch k of a step is held when {@code k mod W = rank},
     * and only the examples of held micro-batches are read ({@link TokenShardReader#open(java.util.function.LongPredicate)});
     * the others are {@code null} in the {@link StepBatch}. The step boundaries come from {@code numExamples}. Example i
     * is in global micro-batch {@code i / batchSize}, and every step starts at a multiple of {@code microBatchesPerStep}
     * micro-batches, so {@code k mod W = (i / batchSize) mod W}: a rank's rows are known before reading any row. The
     * examples before {@code startExampleIndex} (a resume) are not read either.
     */
    public Iterator<StepBatch> epoch(TokenShardReader reader, int epoch, int firstStepNumber, long startExampleIndex, long numExamples,
                                     int rank, int worldSize, Consumer<TokenExample> onTruncate) {
        long stepRows = (long) batchSize * gradAccum;
        if (startExampleIndex % stepRows != 0) {
            throw new IllegalArgumentException("data position " + startExampleIndex + " is not a step boundary (effective batch "
                    + stepRows + "); the checkpoint does not belong to this configuration");
        }
        if (gradAccum % worldSize != 0 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " of " + worldSize + ": " + gradAccum
                    + " micro-batches per step are not dealt evenly over the ranks");
        }
        if (startExampleIndex > numExamples) {
            throw new IllegalArgumentException("data position " + startExampleIndex + " is past the end of the shard ("
                    + numExamples + " examples); the checkpoint does not belong to this data");
        }
        long bs = batchSize;
        Iterator<TokenShardReader.IndexedExample> it = reader.open(i -> i >= startExampleIndex && (i / bs) % worldSize == rank);
        return new Iterator<>() {
            long nextIndex = startExampleIndex;
            int nextStep = firstStepNumber;

            @Override
            public boolean hasNext() {
                if (nextIndex < numExamples) {
                    return true;
                }
                if (it.hasNext()) {
                    throw new IllegalStateException("the token shard holds example " + it.next().index() + " but was counted at "
                            + numExamples + " examples: it changed while training; run tokenize again and train from the start");
                }
                return false;
            }

            @Override
            public StepBatch next() {
                if (nextIndex >= numExamples) {
                    throw new NoSuchElementException();
                }
                long first = nextIndex;
                long end = Math.min(numExamples, first + stepRows);
                List<MicroBatch> mbs = new ArrayList<>(gradAccum);
                int items = 0;
                for (long mbStart = first; mbStart < end; mbStart += batchSize) {
                    if (mbs.size() % worldSize != rank) {
                        mbs.add(null); // another rank's
                        continue;
                    }
                    List<TokenExample> rows = new ArrayList<>(batchSize);
                    for (long i = mbStart; i < Math.min(end, mbStart + batchSize); i++) {
                        if (!it.hasNext()) {
                            throw new IllegalStateException("the token shard ended before example " + i + " but was counted at "
                                    + numExamples + " examples: it changed while training; run tokenize again and train from the start");
                        }
                        TokenShardReader.IndexedExample row = it.next();
                        if (row.index() != i) {
                            throw new IllegalStateException("the token shard reader gave example " + row.index() + " where example " + i
                                    + " belongs (rank " + rank + " of " + worldSize + ")");
                        }
                        TokenExample e = row.example();
                        if (e.length() > maxLength) {
                            onTruncate.accept(e);
                            e = e.truncated(maxLength);
                        }
                        rows.add(e);
                    }
                    MicroBatch mb = MicroBatch.collate(rows, padId);
                    items += mb.numShiftedLabelTokens();
                    mbs.add(mb);
                }
                nextIndex = end;
                return new StepBatch(epoch, nextStep++, first, Math.toIntExact(end - first), mbs, items);
            }
        };
    }
}
