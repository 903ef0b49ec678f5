package io.tracedistill.chat.jinja;

/**
 * jinja2's default {@code Undefined}: what a missing variable, a missing key / attribute or an out-of-range index
 * evaluates to. It prints as {@code ""}, is falsy, iterates as empty, has length 0 and equals only another undefined;
 * any attribute access, subscript, call, arithmetic or ordering on it raises {@code UndefinedError} with jinja2's
 * message ({@code 'x' is undefined}, {@code 'dict object' has no attribute 'x'}, {@code list object has no element 3}).
 * An unsafe attribute of the sandbox ({@code list.append}) is an undefined whose error is a {@code SecurityError}.
 */
final class Undefined {

    /** Sentinel for "no object" (a plain missing variable). */
    static final Object MISSING = new Object();

    private final Object obj;
    private final Object name;
    private final String hint;
    private final String errorType;

    private Undefined(Object obj, Object name, String hint, String errorType) {
        this.obj = obj;
        this.name = name;
        this.hint = hint;
        this.errorType = errorType;
    }

    static Undefined variable(String name) {
        return new Undefined(MISSING, name, null, "UndefinedError");
    }

    static Undefined member(Object obj, Object name) {
        return new Undefined(obj, name, null, "UndefinedError");
    }

    static Undefined hinted(String hint) {
        return new Undefined(MISSING, null, hint, "UndefinedError");
    }

    static Undefined unsafe(Object obj, String attr) {
        return new Undefined(obj, attr, "access to attribute " + Py.repr(attr) + " of " + Py.repr(Py.typeName(obj))
                + " object is unsafe.", "SecurityError");
    }

    /** jinja2 {@code Undefined._undefined_message}. */
    String message() {
        if (hint != null) {
            return hint;
        }
        if (obj == MISSING) {
            return Py.repr(name) + " is undefined";
        }
        if (!(name instanceof String)) {
            return Py.objectTypeRepr(obj) + " has no element " + Py.repr(name);
        }
        return Py.repr(Py.objectTypeRepr(obj)) + " has no attribute " + Py.repr(name);
    }

    /** The error any real use of this value raises. */
    PyError fail() {
        return new PyError(errorType, message());
    }

    @Override
    public String toString() {
        return "";
    }
}
