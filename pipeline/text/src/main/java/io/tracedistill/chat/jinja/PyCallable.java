package io.tracedistill.chat.jinja;

import java.util.List;
import java.util.Map;

/** Something a template may call: a global function, a Python method bound to a value, a macro. */
interface PyCallable {

    Object call(Renderer renderer, List<Object> args, Map<String, Object> kwargs);

    /** Python's {@code repr} of the callable (used only when a template prints it). */
    String describe();
}
