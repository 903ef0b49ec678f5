package io.tracedistill.config;

import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;

import java.util.Optional;

/**
 * A config file that cannot be used. The message names the file, the key and the fix, in one of
 * two voices:
 * <ul>
 *   <li>the reference's own {@code ValueError} messages, copied exactly where
 *       {@code golden/config_validation.json} pins them (e.g. {@code Config must set 'base_model',
 *       'data_path' and 'hard_types'.});</li>
 *   <li>ours, Kafka {@code ConfigDef} style:
 *       {@code Invalid value 0 for lora_rank in conf/x.yaml: must be at least 1}.</li>
 * </ul>
 * {@link #referenceErrorType()} says which Python exception the reference raises for the same
 * input ({@code ValueError}, {@code TypeError}, {@code AttributeError}, PyYAML's
 * {@code ParserError}/{@code ScannerError}/{@code ConstructorError}); it is empty for a value the
 * reference accepts but this port rejects (see {@link #stricterThanReference()}).
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final String key;
    private final String referenceErrorType;
    private final boolean stricterThanReference;

    ConfigException(String message, String source, String key, String referenceErrorType, Throwable cause) {
        super(message, cause);
        this.source = source;
        this.key = key;
        this.referenceErrorType = referenceErrorType;
        this.stricterThanReference = referenceErrorType == null;
    }

    /** A message the reference raises as {@code ValueError}, reproduced verbatim. */
    static ConfigException reference(String message, String source, String key) {
        return new ConfigException(message, source, key, "ValueError", null);
    }

    /** Input the reference also rejects, but with a Python-internal error ({@code TypeError}, ...). */
    static ConfigException internal(String pythonType, String message, String source, String key, Throwable cause) {
        return new ConfigException(message, source, key, pythonType, cause);
    }

    /**
     * {@code Invalid value <repr> for <key> in <source>: <requirement>}, for a value the reference
     * accepts (and would fail on later, or mis-handle). Public so that later stages (a missing
     * {@code data_path}, an adapter directory without {@code adapter_config.json}) can report a
     * config problem in the same words: {@code raw} is rendered as a Python repr.
     */
    public static ConfigException invalidValue(String key, Object raw, String source, String requirement) {
        return new ConfigException(invalidText(key, raw, source, requirement), source, key, null, null);
    }

    /** The same wording, for a value the reference also rejects with Python exception {@code pythonType}. */
    static ConfigException invalidValue(String pythonType, String key, Object raw, String source, String requirement) {
        return new ConfigException(invalidText(key, raw, source, requirement), source, key, pythonType, null);
    }

    private static String invalidText(String key, Object raw, String source, String requirement) {
        return "Invalid value " + PyObjects.repr(raw) + " for " + key + " in " + source + ": " + requirement;
    }

    /** The config file as it was named to the loader. */
    public String source() {
        return source;
    }

    /** The offending key ({@code phase1.learning_rate} for a phase key), if one key is at fault. */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }

    /** The Python exception class the reference raises for this input; empty if the reference accepts it. */
    public Optional<String> referenceErrorType() {
        return Optional.ofNullable(referenceErrorType);
    }

    /** True when the reference's {@code load_config} accepts this input and only this port rejects it. */
    public boolean stricterThanReference() {
        return stricterThanReference;
    }

    /** {@code 'x'} for messages that quote a path the way Python's {@code {path!r}} does. */
    static String quotedPath(String source) {
        return PyText.repr(source);
    }
}
