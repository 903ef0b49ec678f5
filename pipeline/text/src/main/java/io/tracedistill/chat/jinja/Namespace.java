package io.tracedistill.chat.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * jinja2's {@code namespace(...)}: a mutable attribute bag that {@code {% set ns.attr = ... %}} may write from inside a
 * loop (a plain {@code set} in a loop body does not leave the loop). Attributes may be added after creation.
 */
final class Namespace {

    final Map<String, Object> attrs = new LinkedHashMap<>();

    @Override
    public String toString() {
        return "<Namespace " + Py.repr(attrs) + ">";
    }
}
