package io.tracedistill.config;

/** A config value parsed into a type that is written back to YAML under one name ({@code gpu:0,1}, {@code cosine}). */
public interface YamlNamed {

    /** The value as the YAML spells it. */
    String yamlName();
}
