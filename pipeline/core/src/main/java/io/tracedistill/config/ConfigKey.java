package io.tracedistill.config;

import java.util.Objects;
import java.util.function.Function;

/**
 * One config key, declared once (Kafka {@code ConfigDef} style): YAML name, type, default (as
 * the YAML value it stands for), parser/validator, getter on {@link RunConfig} and doc.
 *
 * @param <T> the typed value on {@link RunConfig}
 */
public final class ConfigKey<T> {

    /** Marker default of a key the config must set. */
    static final Object REQUIRED = new Object() {
        @Override
        public String toString() {
            return "<required>";
        }
    };

    private final String name;
    private final String type;
    private final Object rawDefault;
    private final boolean reference;
    private final String doc;
    private final ConfigParsers.Parser<T> parser;
    private final Function<RunConfig, T> getter;

    ConfigKey(String name, String type, Object rawDefault, boolean reference, String doc,
              ConfigParsers.Parser<T> parser, Function<RunConfig, T> getter) {
        this.name = Objects.requireNonNull(name);
        this.type = Objects.requireNonNull(type);
        this.rawDefault = rawDefault;
        this.reference = reference;
        this.doc = Objects.requireNonNull(doc);
        this.parser = Objects.requireNonNull(parser);
        this.getter = Objects.requireNonNull(getter);
    }

    /** YAML key, snake_case. */
    public String name() {
        return name;
    }

    /** Human type description for docs ({@code int >= 1}, {@code list of str}, ...). */
    public String type() {
        return type;
    }

    /** True for the reference's own keys; false for this port's extension keys. */
    public boolean reference() {
        return reference;
    }

    /** True when the config must set this key. */
    public boolean required() {
        return rawDefault == REQUIRED;
    }

    /** The default as a YAML value (what the reference's dataclass holds when the key is absent). */
    Object referenceDefault() {
        return rawDefault;
    }

    /** One-line description. */
    public String doc() {
        return doc;
    }

    /** Parses and validates the YAML value ({@code raw}) or, if {@code present} is false, the default. */
    T parse(Object raw, boolean present, String source) {
        if (!present) {
            if (required()) {
                throw ConfigException.reference("Config must set 'base_model', 'data_path' and 'hard_types'.", source, name);
            }
            raw = ConfigKeys.copyRaw(rawDefault);
        }
        return parser.parse(raw, name, source);
    }

    /** The typed value of this key in {@code config}. */
    public T get(RunConfig config) {
        return getter.apply(config);
    }

    @Override
    public String toString() {
        return name;
    }
}
