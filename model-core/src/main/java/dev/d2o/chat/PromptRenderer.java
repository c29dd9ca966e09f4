package dev.d2o.chat;

import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.TextPairs;
import dev.d2o.model.TextTokenizer;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A prompt format resolved against a model: what the stages call to turn a prompt (and a response)
 * into model input. Serializable, so a Spark task can carry it.
 *
 * <p>How the stages use it (anchors, training, scoring, evaluation):
 *
 * <ul>
 *   <li><b>Prompt</b>: {@link #render(String, List, String)}: a row's conversation (or its prompt
 *       as one user turn) with the generation prompt; {@code anchors.prefix} is prepended to the
 *       last user turn for sampling, and the plain prompt is scored. Then {@link #promptIds}.
 *       Generation starts right after these ids and stops at EOS or at {@link #stopIds}.
 *   <li><b>Response</b> (anchor or negative): {@link #responseIds}: its tokens, then the template's
 *       end-of-turn ids ({@link #endOfTurn()}, e.g. {@code <|eot_id|>}), which take the place of
 *       EOS in a chat model's sequence log-prob; raw prompts keep EOS. Generation for a chat model
 *       should stop at the end-of-turn id as well as at EOS, and decoded anchors are stored without
 *       it.
 *   <li><b>BOS</b>: a chat prompt's ids are the tokenizer's ids of the rendered text and nothing
 *       else: templates that want a BOS write {@code bos_token} themselves (Llama 3, Mistral,
 *       Gemma), and adding the tokenizer's BOS too would double it. This is what {@code
 *       apply_chat_template(..., tokenize=True)} and TRL's DPO trainer do. Raw prompts get BOS as
 *       {@link TextPairs#promptIds} gives it (the model's {@code add_bos_token}).
 * </ul>
 */
public final class PromptRenderer implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ChatTemplate template; // null: raw

  private PromptRenderer(ChatTemplate template) {
    this.template = template;
  }

  /** Prompts fed as they are. */
  public static PromptRenderer raw() {
    return new PromptRenderer(null);
  }

  /** Prompts rendered with {@code template}. */
  public static PromptRenderer chat(ChatTemplate template) {
    return new PromptRenderer(template);
  }

  /**
   * Resolves {@code format} against {@code modelDir}: the template comes from {@code templateFile}
   * when given (the future {@code model.chatTemplate}), else from the model's {@code
   * tokenizer_config.json}. {@code chat} without any template is an error naming both places.
   */
  public static PromptRenderer resolve(PromptFormat format, Path modelDir, Path templateFile) {
    if (format == PromptFormat.RAW) {
      return raw();
    }
    Optional<ChatTemplate> t =
        templateFile != null
            ? Optional.of(ChatTemplate.fromFile(templateFile, modelDir))
            : ChatTemplate.fromModelDir(modelDir);
    return of(format, t, modelDir.resolve("tokenizer_config.json").toString());
  }

  /**
   * {@code format} given the template found ({@code template}, empty when none): {@code chat}
   * without one is an error that names {@code lookedIn}, where the template was looked for.
   */
  public static PromptRenderer of(
      PromptFormat format, Optional<ChatTemplate> template, String lookedIn) {
    if (format == PromptFormat.RAW) {
      return raw();
    }
    if (template.isPresent()) {
      return chat(template.get());
    }
    if (format == PromptFormat.CHAT) {
      throw new ChatTemplateException(
          "prompt format 'chat' needs a chat template, but "
              + lookedIn
              + " has no 'chat_template' and no template file is set");
    }
    return raw();
  }

  /** Whether prompts are rendered with a chat template. */
  public boolean isChat() {
    return template != null;
  }

  /** The chat template, when prompts are rendered with one. */
  public Optional<ChatTemplate> template() {
    return Optional.ofNullable(template);
  }

  /**
   * The model input for {@code prompt}: a one-turn user conversation with the generation prompt.
   */
  public String render(String prompt) {
    return template == null ? prompt : template.renderPrompt(prompt);
  }

  /**
   * The model input for a conversation ending with a user turn, with the generation prompt. Raw
   * prompts give the conversation's {@link #plainText}.
   */
  public String render(List<Message> messages) {
    return template != null ? template.render(messages, true) : plainText(messages);
  }

  /**
   * The model input for a row: its {@code conversation} when it has one (multi-turn data), else
   * {@code prompt} as one user turn; {@code prefix} (may be empty: {@code anchors.prefix}) goes
   * before the content of the last user turn. Without a conversation a raw prompt is exactly {@code
   * prefix + prompt}.
   */
  public String render(String prompt, List<Message> conversation, String prefix) {
    if (conversation == null) {
      return render(prefix + prompt);
    }
    if (prefix.isEmpty()) {
      return render(conversation);
    }
    List<Message> prefixed = new ArrayList<>(conversation);
    for (int i = prefixed.size() - 1; i >= 0; i--) {
      if (prefixed.get(i).role().equals("user")) {
        prefixed.set(i, Message.user(prefix + prefixed.get(i).content()));
        break;
      }
    }
    return render(prefixed);
  }

  /**
   * As {@link #render(String, List, String)}; a template error (its {@code raise_exception}, ...)
   * names {@code row} first, e.g. {@code "row id q7: chat template ... raised an exception: ..."}.
   */
  public String renderRow(String row, String prompt, List<Message> conversation, String prefix) {
    try {
      return render(prompt, conversation, prefix);
    } catch (ChatTemplateException e) {
      throw new ChatTemplateException(row + ": " + e.getMessage(), e);
    }
  }

  /**
   * A conversation as plain text, for models without a chat template: a single user turn is its
   * content; any other conversation is a transcript in HH-RLHF's style, each turn {@code "Human: "}
   * (user), {@code "Assistant: "} or {@code "System: "} and its content, turns separated by a blank
   * line, ending with {@code "\n\nAssistant:"} where the answer starts.
   */
  public static String plainText(List<Message> messages) {
    if (messages.size() == 1 && messages.get(0).role().equals("user")) {
      return messages.get(0).content();
    }
    StringBuilder sb = new StringBuilder();
    for (Message m : messages) {
      String label =
          switch (m.role()) {
            case "user" -> "Human";
            case "assistant" -> "Assistant";
            case "system" -> "System";
            default -> m.role();
          };
      sb.append(label).append(": ").append(m.content()).append("\n\n");
    }
    return sb.append("Assistant:").toString();
  }

  /** The text that ends an assistant turn; empty for raw prompts. */
  public String endOfTurn() {
    return template == null ? "" : template.endOfTurn();
  }

  /** Ids of a rendered prompt: no BOS added for chat prompts (see the class comment). */
  public int[] promptIds(TextTokenizer tok, String renderedPrompt) {
    return template == null ? TextPairs.promptIds(tok, renderedPrompt) : tok.encode(renderedPrompt);
  }

  /**
   * The token that ends a generated assistant turn besides EOS: the end-of-turn id of a chat
   * template ({@code <|eot_id|>}, {@code <|im_end|>}, ...), so that an anchor ends where the model
   * closed its turn; empty for raw prompts or a template that writes nothing after the turn.
   * Generation stops on single tokens, so an end-of-turn text that the tokenizer splits into
   * several tokens (a template whose special tokens the tokenizer lacks) is refused.
   */
  public int[] stopIds(TextTokenizer tok) {
    int[] end = endOfTurnIds(tok);
    if (end.length > 1) {
      throw new ChatTemplateException(
          "chat template "
              + template.source()
              + " ends an assistant turn with '"
              + endOfTurn()
              + "', which the tokenizer "
              + tok.file()
              + " splits into "
              + end.length
              + " tokens "
              + Arrays.toString(end)
              + "; generation stops on one token, so the tokenizer must have '"
              + endOfTurn()
              + "' as a special (added) token, as the template's own model does");
    }
    return end;
  }

  /** Ids of the end-of-turn text (empty for raw prompts or a template without one). */
  public int[] endOfTurnIds(TextTokenizer tok) {
    String end = endOfTurn();
    return end.isEmpty() ? new int[0] : tok.encode(end);
  }

  /**
   * Ids of a response: its tokens, then (when {@code close}) the end-of-turn ids for chat prompts,
   * or EOS for raw prompts and templates that write nothing after the assistant's turn.
   */
  public int[] responseIds(TextTokenizer tok, String response, boolean close) {
    int[] end = endOfTurnIds(tok);
    if (template == null || end.length == 0) {
      return TextPairs.responseIds(tok, response, close);
    }
    int[] body = tok.encode(response);
    if (!close) {
      return body;
    }
    int[] out = Arrays.copyOf(body, body.length + end.length);
    System.arraycopy(end, 0, out, body.length, end.length);
    return out;
  }

  /** A score request for (prompt, response): the prompt rendered, the response closed. */
  public ScoreRequest encode(
      TextTokenizer tok, String label, String prompt, String response, boolean close) {
    return new ScoreRequest(
        label, promptIds(tok, render(prompt)), responseIds(tok, response, close));
  }
}
