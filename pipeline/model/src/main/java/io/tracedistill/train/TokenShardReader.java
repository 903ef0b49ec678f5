package io.tracedistill.train;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.LongPredicate;

/**
 * The trainer's only view of a phase's token shards: the examples in stored training order.
 *
 * <p>{@link #open()} (or {@link #open(LongPredicate)}) is called once per epoch (and once to count), so it
 * must start from the first example every time. Implementations: {@link InMemoryTokenShardReader} (tests),
 * {@link JsonlTokenShardReader} (JSON Lines); the Spark module supplies a Parquet one.
 */
public interface TokenShardReader {

    /** A fresh iterator over every example, in training order. */
    Iterator<TokenExample> open();

    /** One example and its 0-based index in stored order. */
    record IndexedExample(long index, TokenExample example) {
    }

    /**
     * The examples whose index {@code i} (0-based, stored order) passes {@code keep}, in order, with their
     * indexes: how a rank of a data-parallel run reads only its own micro-batches. This default decodes every
     * example and drops the others; a reader that can skip an example without decoding it overrides this.
     */
    default Iterator<IndexedExample> open(LongPredicate keep) {
        Iterator<TokenExample> all = open();
        return new Iterator<>() {
            long index = 0;
            IndexedExample next;

            @Override
            public boolean hasNext() {
                while (next == null && all.hasNext()) {
                    TokenExample e = all.next();
                    long i = index++;
                    if (keep.test(i)) {
                        next = new IndexedExample(i, e);
                    }
                }
                return next != null;
            }

            @Override
            public IndexedExample next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                IndexedExample r = next;
                next = null;
                return r;
            }
        };
    }

    /** Number of examples; the default counts by iterating once. */
    default long count() {
        long n = 0;
        for (Iterator<TokenExample> it = open(); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }
}
