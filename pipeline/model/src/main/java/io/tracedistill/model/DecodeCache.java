package io.tracedistill.model;

/**
 * State a {@link LanguageModel} carries between incremental decoding steps: the KV cache of its
 * attention layers and, for hybrid models, the recurrent state of its other layers (Nemotron-H's Mamba
 * conv window and SSM state). Made by {@link LanguageModel#newCache}; its arrays live in its own
 * manager, so each step's scratch manager can be closed while the cache survives.
 */
public interface DecodeCache extends AutoCloseable {

    /** Tokens already consumed (0 before the first forward). */
    long pastLength();

    @Override
    void close();
}
