package io.tracedistill.config;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The typed value of every {@link ConfigKey} of one config, as {@link ConfigLoader} parsed them. The sections
 * ({@link ModelSection}, {@link DataSection}, ...) read their fields from here by key, so a field gets the type of
 * its key's parser or does not compile: {@code values.get(ConfigKeys.K_MAX_LENGTH)} is an {@code Integer}.
 */
final class ConfigValuesByKey {
    private final Map<ConfigKey<?>, Object> values = new IdentityHashMap<>();

    <T> void put(ConfigKey<T> key, T value) {
        values.put(key, value);
    }

    /** The parsed value of {@code key}; every key is parsed before any section is built. */
    <T> T get(ConfigKey<T> key) {
        if (!values.containsKey(key)) {
            throw new IllegalStateException("config key " + key + " was not parsed");
        }
        @SuppressWarnings("unchecked") // put(key, value) only stores a T under a ConfigKey<T>
        T v = (T) values.get(key);
        return v;
    }
}
