/**
 * Chat-template rendering exactly as Hugging Face transformers does it, in pure Java.
 *
 * <ul>
 *   <li>{@link io.tracedistill.chat.ChatTemplate}: a model's {@code chat_template} (from {@code tokenizer_config.json}
 *       or {@code chat_template.jinja}), rendered byte-identically to {@code apply_chat_template(tokenize=False)};
 *   <li>{@link io.tracedistill.chat.PromptCompletionRenderer}: the (prompt, completion) split for completion-only
 *       training with the fail-closed strict-prefix boundary of the reference's {@code render_prompt_completion};
 *   <li>(the {@code render-chat} command that prints a rendering is {@code io.tracedistill.jobs.RenderChatCommand});
 *   <li>{@link io.tracedistill.chat.jinja.JinjaTemplate}: the Jinja engine underneath &mdash; a lexer, parser and
 *       tree-walking evaluator reproducing jinja2 3.1 under transformers' settings ({@code trim_blocks},
 *       {@code lstrip_blocks}, immutable sandbox, {@code loopcontrols}, {@code {% generation %}}) with Python value
 *       semantics (code-point strings, Python whitespace, {@code repr}/{@code str}, {@code json.dumps}, undefined).
 * </ul>
 *
 * <p>Golden vectors: {@code golden/chat_templates/} (12 real templates, 256 cases) and
 * {@code golden/render_prompt_completion.json}, produced with CPython 3.11 + jinja2 3.1.2.
 */
package io.tracedistill.chat;
