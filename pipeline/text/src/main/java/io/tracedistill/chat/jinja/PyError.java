package io.tracedistill.chat.jinja;

/**
 * Internal: a Python-level error raised while evaluating (class name + {@code str(e)}); the renderer turns it into a
 * {@link TemplateException} carrying the template name and the line of the tag being executed.
 */
final class PyError extends RuntimeException {

    final String type;

    PyError(String type, String message) {
        super(message, null, false, false);
        this.type = type;
    }

    static PyError typeError(String message) {
        return new PyError("TypeError", message);
    }

    static PyError valueError(String message) {
        return new PyError("ValueError", message);
    }
}
