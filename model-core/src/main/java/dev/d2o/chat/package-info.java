/**
 * Chat templates: the Jinja {@code chat_template} of a model's {@code tokenizer_config.json},
 * rendered as Hugging Face's {@code tokenizer.apply_chat_template(messages,
 * add_generation_prompt=True, tokenize=False)} renders it ({@link dev.d2o.chat.ChatTemplate}), and
 * the prompt format the stages use to turn a prompt into model input ({@link
 * dev.d2o.chat.PromptRenderer}). Depends on Jinjava and model-core's tokenizer only.
 */
package dev.d2o.chat;
