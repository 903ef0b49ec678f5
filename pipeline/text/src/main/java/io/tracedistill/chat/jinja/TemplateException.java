package io.tracedistill.chat.jinja;

/**
 * A chat template failed to compile or render. Mirrors the Python exception jinja2 / transformers would raise:
 * {@link #errorType()} is the Python class name ({@code TemplateError} for {@code raise_exception(msg)},
 * {@code UndefinedError}, {@code TypeError}, {@code TemplateSyntaxError}, {@code SecurityError}, ...) and
 * {@link #detail()} is Python's {@code str(e)}. {@link #getMessage()} adds the template name and line so a user can
 * find the failing tag.
 */
public final class TemplateException extends RuntimeException {

    private final String errorType;
    private final String detail;
    private final String templateName;
    private final int line;

    public TemplateException(String errorType, String detail, String templateName, int line) {
        super(format(errorType, detail, templateName, line));
        this.errorType = errorType;
        this.detail = detail;
        this.templateName = templateName;
        this.line = line;
    }

    public TemplateException(String errorType, String detail, String templateName, int line, Throwable cause) {
        super(format(errorType, detail, templateName, line), cause);
        this.errorType = errorType;
        this.detail = detail;
        this.templateName = templateName;
        this.line = line;
    }

    private static String format(String errorType, String detail, String templateName, int line) {
        StringBuilder sb = new StringBuilder().append(errorType).append(": ").append(detail);
        if (templateName != null || line > 0) {
            sb.append(" (chat template ").append(templateName == null ? "<string>" : templateName);
            if (line > 0) {
                sb.append(", line ").append(line);
            }
            sb.append(')');
        }
        return sb.toString();
    }

    /** The Python exception class name, e.g. {@code TemplateError} or {@code UndefinedError}. */
    public String errorType() {
        return errorType;
    }

    /** Python's {@code str(e)}: for {@code raise_exception(msg)} exactly {@code msg}. */
    public String detail() {
        return detail;
    }

    /** The template's file name or id ({@code null} when unnamed). */
    public String templateName() {
        return templateName;
    }

    /** 1-based line of the failing tag in the template, 0 when unknown. */
    public int line() {
        return line;
    }

    /** True for the error {@code raise_exception(msg)} raises (the template rejected its input on purpose). */
    public boolean raisedByTemplate() {
        return errorType.equals("TemplateError");
    }
}
