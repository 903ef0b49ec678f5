package io.tracedistill.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where secrets in URIs are removed before a path is written or logged. A Hadoop
 * URI may carry credentials as user-info ({@code s3a://KEY:SECRET@bucket/data.csv}); everything we
 * write ({@code resolved_config.yaml}, manifests, {@code report.md}) and everything we print (error
 * messages, stack traces, log lines) passes through here, so the secret becomes {@code ***}:
 * {@code s3a://***@bucket/data.csv}. The path stays recognisable; only the user-info goes.
 */
public final class Redaction {

    /** What replaces the user-info. */
    public static final String MASK = "***";

    /**
     * {@code scheme://userinfo@}: a scheme (RFC 3986 letters, digits, {@code + - .}), then user-info
     * up to the first {@code @} that comes before any {@code /}, whitespace or quote. The user-info may
     * hold {@code :} and percent-escapes; an AWS secret may hold {@code /}, which RFC 3986 does not
     * allow there, so it must be percent-encoded ({@code %2F}) in a URI anyway.
     */
    private static final Pattern USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)([^/@\\s'\"`]+)@");

    private Redaction() {
    }

    /** {@code text} with the user-info of every URI in it replaced by {@link #MASK}; null stays null. */
    public static String text(String text) {
        if (text == null || text.indexOf("://") < 0) {
            return text;
        }
        Matcher m = USER_INFO.matcher(text);
        return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + MASK + "@"));
    }

    /**
     * A copy of a plain value tree (maps, lists, strings, numbers) with every string passed through
     * {@link #text}; used for the resolved config written into files.
     */
    public static Object values(Object value) {
        if (value instanceof String s) {
            return text(s);
        }
        if (value instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, values(v)));
            return out;
        }
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(v -> out.add(values(v)));
            return out;
        }
        return value;
    }
}
