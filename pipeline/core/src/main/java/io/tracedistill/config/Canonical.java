package io.tracedistill.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The canonical form of a settings record: plain JSON-able values (String, Number, Boolean, null, List,
 * key-sorted Map), every record component under its name, recursively. A step's fingerprint is a hash of
 * the canonical form of the settings record it passes to its stage, so a field added to that record is
 * part of the fingerprint without anyone listing it.
 *
 * <pre>
 *   record, Map    → sorted map (component name → canonical value)
 *   Optional       → its value or null        YamlNamed (device, scorer, ...) → yamlName()
 *   other enum     → name()                   Path, LocalDate, BigInteger → toString()
 *   Collection     → list                     String, Number, Boolean, null → as is
 * </pre>
 * Any other type is refused, so a new field type cannot silently fingerprint as an object identity.
 */
public final class Canonical {

    private Canonical() {
    }

    /**
     * A record component that records provenance (such as the resolved config copied into a manifest) and
     * does not change what the stage computes; it is left out of the canonical form.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.METHOD})
    public @interface NotFingerprinted {
    }

    /** The canonical form of {@code value} (see the class comment). */
    public static Object of(Object value) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof Double) {
            return value;
        }
        if (value instanceof Optional<?> o) {
            return o.map(Canonical::of).orElse(null);
        }
        if (value instanceof YamlNamed y) {
            return y.yamlName();
        }
        if (value instanceof Enum<?> e) {
            return e.name();
        }
        if (value instanceof Path || value instanceof LocalDate || value instanceof BigInteger) {
            return value.toString();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        if (value instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            c.forEach(v -> out.add(of(v)));
            return out;
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), of(v)));
            return out;
        }
        if (value.getClass().isRecord()) {
            Map<String, Object> out = new TreeMap<>();
            for (RecordComponent rc : value.getClass().getRecordComponents()) {
                if (rc.isAnnotationPresent(NotFingerprinted.class)) {
                    continue;
                }
                try {
                    rc.getAccessor().setAccessible(true);
                    out.put(rc.getName(), of(rc.getAccessor().invoke(value)));
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IllegalStateException("cannot read " + value.getClass().getName() + "." + rc.getName(), e);
                }
            }
            return out;
        }
        throw new IllegalArgumentException("no canonical form for " + value.getClass().getName()
                + "; give it one in io.tracedistill.config.Canonical (it is part of a step's settings)");
    }
}
