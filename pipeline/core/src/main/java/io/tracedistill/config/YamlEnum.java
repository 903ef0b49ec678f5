package io.tracedistill.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A config enum spelled in YAML as its constant's name in lower case ({@code constant_with_warmup},
 * {@code eval_path}). One parser for all of them: {@link ConfigParsers#oneOf(Class)} for config keys,
 * {@link #fromYaml} for names that arrive elsewhere.
 */
public interface YamlEnum extends YamlNamed {

    /** The constant's name ({@link Enum#name()} implements it). */
    String name();

    @Override
    default String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every YAML spelling of {@code type}, in declaration order. */
    static <E extends Enum<E> & YamlEnum> List<String> yamlNames(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(YamlEnum::yamlName).toList();
    }

    /**
     * The constant of {@code type} spelled {@code name}; otherwise an error naming {@code what} and listing the
     * valid names ({@code Unknown scorer 'kaggle'; expected one of competition, gsm8k}).
     */
    static <E extends Enum<E> & YamlEnum> E fromYaml(Class<E> type, String what, String name) {
        for (E e : type.getEnumConstants()) {
            if (e.yamlName().equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("Unknown " + what + " '" + name + "'; expected one of "
                + String.join(", ", yamlNames(type)));
    }
}
