package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Per-layer key/value cache for incremental decoding (HF {@code DynamicCache}): after rotary,
 * {@code keys[l], values[l] [B, H_kv, S_past, d]}. Arrays live in the cache's own manager so a
 * caller can close each step's scratch manager while the cache survives; close the cache when done.
 */
public final class KvCache implements DecodeCache {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;

    public KvCache(int numLayers, NDManager parent) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
    }

    @Override
    public long pastLength() {
        return keys[0] == null ? 0 : keys[0].getShape().get(2);
    }

    /** Appends this step's {@code k, v [B, H_kv, T, d]} for layer {@code l}; returns the full {k, v}. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray fullK;
        NDArray fullV;
        if (keys[layer] == null) {
            fullK = k.duplicate();
            fullV = v.duplicate();
        } else {
            fullK = keys[layer].concat(k, 2);
            fullV = values[layer].concat(v, 2);
            keys[layer].close();
            values[layer].close();
        }
        fullK.attach(manager);
        fullV.attach(manager);
        keys[layer] = fullK;
        values[layer] = fullV;
        return new NDArray[] {fullK, fullV};
    }

    @Override
    public void close() {
        manager.close();
    }
}
