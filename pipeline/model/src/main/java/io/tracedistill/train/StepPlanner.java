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
        if (startExampleIndex % ((long) batchSize * gradAccum) != 0) {
            throw new IllegalArgumentException("data position " + startExampleIndex + " is not a step boundary (effective batch "
                    + (batchSize * gradAccum) + "); the checkpoint does not belong to this configuration");
        }
        Iterator<TokenExample> it = reader.open();
        for (long i = 0; i < startExampleIndex; i++) {
            if (!it.hasNext()) {
                throw new IllegalArgumentException("data position " + startExampleIndex + " is past the end of the shard ("
                        + i + " examples); the checkpoint does not belong to this data");
            }
            it.next();
        }
        return new Iterator<>() {
            long nextIndex = startExampleIndex;
            int nextStep = firstStepNumber;

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public StepBatch next() {
                if (!it.hasNext()) {
                    throw new NoSuchElementException();
                }
                long first = nextIndex;
                List<MicroBatch> mbs = new ArrayList<>(gradAccum);
                int items = 0;
                while (mbs.size() < gradAccum && it.hasNext()) {
                    List<TokenExample> rows = new ArrayList<>(batchSize);
                    while (rows.size() < batchSize && it.hasNext()) {
                        TokenExample e = it.next();
                        if (e.length() > maxLength) {
                            onTruncate.accept(e);
                            e = e.truncated(maxLength);
                        }
                        rows.add(e);
                        nextIndex++;
                    }
                    MicroBatch mb = MicroBatch.collate(rows, padId);
                    items += mb.numShiftedLabelTokens();
                    mbs.add(mb);
                }
                return new StepBatch(epoch, nextStep++, first, List.copyOf(mbs), items);
            }
        };
    }
}
