package io.tracedistill.train;

import java.util.Iterator;
import java.util.List;

/** A {@link TokenShardReader} over a list already in memory (tests, small runs). */
public final class InMemoryTokenShardReader implements TokenShardReader {

    private final List<TokenExample> examples;

    public InMemoryTokenShardReader(List<TokenExample> examples) {
        this.examples = List.copyOf(examples);
    }

    @Override
    public Iterator<TokenExample> open() {
        return examples.iterator();
    }

    @Override
    public long count() {
        return examples.size();
    }
}
