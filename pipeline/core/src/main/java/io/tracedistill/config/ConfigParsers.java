package io.tracedistill.config;

import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;

import java.math.BigInteger;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Typed parsers for YAML values, each rejecting a bad value with
 * {@code Invalid value <repr> for <key> in <file>: <requirement>}.
 */
final class ConfigParsers {

    private ConfigParsers() {
    }

    /** Parses one raw YAML value (already known to belong to {@code key}). */
    @FunctionalInterface
    interface Parser<T> {
        T parse(Object raw, String key, String source);
    }

    static ConfigException invalid(String key, Object raw, String source, String requirement) {
        return ConfigException.invalidValue(key, raw, source, requirement);
    }

    static Parser<String> string() {
        return (raw, key, source) -> {
            if (!(raw instanceof String s)) {
                throw invalid(key, raw, source, "must be a string" + quoteHint(raw));
            }
            return s;
        };
    }

    static Parser<String> nonBlankString() {
        return (raw, key, source) -> {
            String s = string().parse(raw, key, source);
            if (PyText.strip(s).isEmpty()) {
                throw invalid(key, raw, source, "must not be blank");
            }
            return s;
        };
    }

    /**
     * A Spark master URL in one of the forms Spark's {@code SparkContext.createTaskScheduler} accepts
     * ({@code local}, {@code local[N|*]}, {@code local[N,retries]}, {@code local-cluster[n,c,mem]},
     * {@code spark://}, {@code yarn}, {@code k8s://}, {@code mesos://}), checked here so that a typo
     * fails naming the key instead of as Spark's "Could not parse Master URL".
     */
    static Parser<String> sparkMaster() {
        Pattern form = Pattern.compile("local|local\\[(\\*|\\d+)(,\\d+)?]|local-cluster\\[\\d+,\\d+,\\d+]"
                + "|yarn|(spark|k8s|mesos)://\\S+");
        return (raw, key, source) -> {
            String s = nonBlankString().parse(raw, key, source);
            if (!form.matcher(s).matches()) {
                throw invalid(key, raw, source, "must be a Spark master URL: local, local[*], local[N], spark://host:port,"
                        + " yarn or k8s://https://host:port (or null to leave it to spark-submit)");
            }
            return s;
        };
    }

    static <T> Parser<Optional<T>> optional(Parser<T> inner) {
        return (raw, key, source) -> raw == null ? Optional.empty() : Optional.of(inner.parse(raw, key, source));
    }

    static Parser<Boolean> bool() {
        return (raw, key, source) -> {
            if (!(raw instanceof Boolean b)) {
                throw invalid(key, raw, source, "must be true or false" + quoteHint(raw));
            }
            return b;
        };
    }

    static Parser<Integer> intAtLeast(int min) {
        return (raw, key, source) -> {
            BigInteger v = integer(raw, key, source);
            if (v.compareTo(BigInteger.valueOf(min)) < 0) {
                throw invalid(key, raw, source, "must be at least " + min);
            }
            if (v.bitLength() > 31) {
                throw invalid(key, raw, source, "must be at most " + Integer.MAX_VALUE);
            }
            return v.intValue();
        };
    }

    static Parser<Long> longValue() {
        return (raw, key, source) -> {
            BigInteger v = integer(raw, key, source);
            if (v.bitLength() > 63) {
                throw invalid(key, raw, source, "must be between " + Long.MIN_VALUE + " and " + Long.MAX_VALUE);
            }
            return v.longValue();
        };
    }

    private static BigInteger integer(Object raw, String key, String source) {
        if (raw instanceof Boolean || !PyObjects.isInt(raw)) {
            String hint = raw instanceof Double d && d == Math.rint(d) && Double.isFinite(d)
                    ? " (write it without a decimal point)" : quoteHint(raw);
            throw invalid(key, raw, source, "must be an integer" + hint);
        }
        return raw instanceof BigInteger bi ? bi : BigInteger.valueOf(((Number) raw).longValue());
    }

    /** A finite number (int or float, not bool) satisfying {@code check}. */
    static Parser<Double> number(java.util.function.DoublePredicate check, String requirement) {
        return (raw, key, source) -> {
            if (raw instanceof Boolean || !(raw instanceof Number)) {
                String hint = raw instanceof String ? " (YAML read it as a string; write numbers unquoted, e.g. 2.0e-4)" : quoteHint(raw);
                throw invalid(key, raw, source, "must be a number" + hint);
            }
            double v = ((Number) raw).doubleValue();
            if (!Double.isFinite(v)) {
                throw invalid(key, raw, source, "must be a finite number");
            }
            if (!check.test(v)) {
                throw invalid(key, raw, source, requirement);
            }
            return v;
        };
    }

    static Parser<String> oneOf(List<String> values) {
        return (raw, key, source) -> {
            if (!(raw instanceof String s) || !values.contains(s)) {
                throw invalid(key, raw, source, "must be one of " + String.join(", ", values));
            }
            return s;
        };
    }

    /** One of the YAML spellings of {@code type}'s constants ({@link YamlEnum}), as that constant. */
    static <E extends Enum<E> & YamlEnum> Parser<E> oneOf(Class<E> type) {
        Parser<String> name = oneOf(YamlEnum.yamlNames(type));
        return (raw, key, source) -> YamlEnum.fromYaml(type, key, name.parse(raw, key, source));
    }

    /** A {@code device} value: {@code cpu}, {@code gpu} or {@code gpu:i,j}. */
    static Parser<DeviceSpec> device() {
        return (raw, key, source) -> {
            if (!(raw instanceof String s)) {
                throw invalid(key, raw, source, DeviceSpec.REQUIREMENT);
            }
            try {
                return DeviceSpec.parse(s);
            } catch (DeviceSpec.DuplicateGpu e) {
                throw invalid(key, raw, source, e.requirement);
            } catch (IllegalArgumentException e) {
                throw invalid(key, raw, source, DeviceSpec.REQUIREMENT);
            }
        };
    }

    /** A list of non-blank strings; {@code null} is the empty list. */
    static Parser<List<String>> stringList(String what) {
        return (raw, key, source) -> {
            if (raw == null) {
                return List.of();
            }
            if (!(raw instanceof List<?> list)) {
                throw invalid(key, raw, source, "must be a list of " + what
                        + (raw instanceof String s ? " (write [" + s + "] for a single one)" : ""));
            }
            List<String> out = new ArrayList<>();
            for (Object item : list) {
                if (!(item instanceof String s) || PyText.strip(s).isEmpty()) {
                    throw invalid(key, raw, source, "must be a list of " + what + "; item "
                            + PyObjects.repr(item) + " is not a non-blank string");
                }
                out.add(s);
            }
            return Collections.unmodifiableList(out);
        };
    }

    /** A calendar date {@code YYYY-MM-DD} (YAML reads an unquoted one as a timestamp). */
    static Parser<LocalDate> date() {
        return (raw, key, source) -> {
            if (raw instanceof Date d) {
                return PyObjects.toLocalDate(d);
            }
            if (raw instanceof String s) {
                try {
                    return LocalDate.parse(s);
                } catch (DateTimeParseException e) {
                    throw invalid(key, raw, source, "must be a date YYYY-MM-DD");
                }
            }
            throw invalid(key, raw, source, "must be a date YYYY-MM-DD");
        };
    }

    private static String quoteHint(Object raw) {
        if (raw == null) {
            return " (it is null; remove the key to use the default)";
        }
        if (raw instanceof String) {
            return " (YAML read it as a string)";
        }
        if (raw instanceof Boolean) {
            return " (YAML read it as a boolean)";
        }
        return "";
    }
}
