package io.tracedistill.train;

import java.util.Iterator;

/**
 * The trainer's only view of a phase's token shards: the examples in stored training order.
 *
 * <p>{@link #open()} is called once per epoch (and once to count), so it must start from the first
 * example every time. Implementations: {@link InMemoryTokenShardReader} (tests),
 * {@link JsonlTokenShardReader} (JSON Lines); the Spark module supplies a Parquet one.
 */
public interface TokenShardReader {

    /** A fresh iterator over every example, in training order. */
    Iterator<TokenExample> open();

    /** Number of examples; the default counts by iterating once. */
    default long count() {
        long n = 0;
        for (Iterator<TokenExample> it = open(); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }
}
