package io.tracedistill.python;

import java.util.AbstractList;
import java.util.List;

/** An immutable Python tuple (e.g. the {@code (key, value)} pairs of {@code dict.items()}); prints as {@code (a, b)}. */
public final class PyTuple extends AbstractList<Object> {

    private final Object[] items;

    public PyTuple(Object... items) {
        this.items = items;
    }

    public static PyTuple of(List<Object> items) {
        return new PyTuple(items.toArray());
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }
}
