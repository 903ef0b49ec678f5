package io.tracedistill.train;

import io.tracedistill.python.PyText;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One evaluation of the held-out slice: teacher-forced cross-entropy, token-weighted as the training loss is (the sum
 * of CE over supervised targets divided by their count), over the whole slice and per example type.
 *
 * @param loss    CE sum / targets over the slice (NaN when it has no target)
 * @param targets supervised targets of the slice (after the causal shift)
 * @param byType  per type, in code-point order of the label
 */
public record HeldOutLoss(double loss, long targets, Map<String, TypeLoss> byType) {

    /** One type's share of the slice. */
    public record TypeLoss(double loss, long targets, int examples) {
    }

    public HeldOutLoss {
        Objects.requireNonNull(byType, "byType");
        Map<String, TypeLoss> sorted = new TreeMap<>(PyText::compareCodePoints);
        sorted.putAll(byType);
        byType = Collections.unmodifiableMap(sorted);
    }
}
