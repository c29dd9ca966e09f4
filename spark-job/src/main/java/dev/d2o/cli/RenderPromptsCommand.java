package dev.d2o.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.chat.ChatTemplateException;
import dev.d2o.chat.Message;
import dev.d2o.chat.PromptFormat;
import dev.d2o.chat.PromptRenderer;
import dev.d2o.error.InputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o render-prompts}: each input row's prompt (a {@code prompt} string or a {@code
 * messages} conversation) rendered with the model's chat template, as {@code prompt_text}.
 */
@Command(
    name = "render-prompts",
    mixinStandardHelpOptions = true,
    description = {
      "Renders prompts with a model's chat template (tokenizer_config.json's chat_template), as"
          + " Hugging Face's apply_chat_template(..., add_generation_prompt=True) does.",
      "Input lines: {\"prompt\": \"..\"} (one user turn) or {\"messages\": [{\"role\": \"system|user|"
          + "assistant\", \"content\": \"..\"}, ..]}.",
      "Output lines repeat the input and add \"prompt_text\"."
    })
public final class RenderPromptsCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      description = "Model directory (its tokenizer_config.json holds the chat template).")
  Path model;

  @Option(names = "--input", required = true, description = "Input JSONL file.")
  Path input;

  @Option(
      names = "--output",
      required = true,
      description = "Output JSONL file (written atomically).")
  Path output;

  @Option(
      names = "--chat-template",
      description = "A Jinja file to use instead of the model's chat_template.")
  Path chatTemplate;

  @Option(
      names = "--format",
      defaultValue = "auto",
      description =
          "auto (the template when there is one), chat (a template is required) or raw"
              + " (default: ${DEFAULT-VALUE}).")
  String format;

  @Override
  public Integer call() {
    PromptFormat f;
    try {
      f = PromptFormat.parse(format);
    } catch (IllegalArgumentException e) {
      throw new InputException("--format: " + e.getMessage());
    }
    PromptRenderer renderer = PromptRenderer.resolve(f, model, chatTemplate);
    List<Jsonl.Line> lines = Jsonl.read(input);
    List<ObjectNode> out = new ArrayList<>(lines.size());
    for (Jsonl.Line line : lines) {
      ObjectNode row = line.node().deepCopy();
      try {
        row.put("prompt_text", render(line, renderer));
      } catch (ChatTemplateException e) {
        throw new InputException(input + " " + Jsonl.label(line) + ": " + e.getMessage(), e);
      }
      out.add(row);
    }
    Jsonl.writeAtomically(output, out);
    System.out.printf(
        "rendered %d prompts (%s) -> %s%n",
        out.size(),
        renderer
            .template()
            .map(t -> "chat template " + t.source() + ", end of turn " + quoted(t.endOfTurn()))
            .orElse("raw: no chat template"),
        output);
    return 0;
  }

  private static String quoted(String s) {
    return s.isEmpty() ? "none" : "'" + s + "'";
  }

  /** The model input of one row; fails naming the line when its fields are wrong. */
  String render(Jsonl.Line line, PromptRenderer renderer) {
    JsonNode messages = line.node().get("messages");
    String prompt = Jsonl.text(line, "prompt", input);
    if (messages != null && !messages.isNull()) {
      if (prompt != null) {
        throw new InputException(
            input + " " + Jsonl.label(line) + ": give either 'prompt' or 'messages', not both");
      }
      return renderer.render(messages(line, messages));
    }
    if (prompt == null) {
      throw new InputException(
          input
              + " "
              + Jsonl.label(line)
              + ": expected a 'prompt' string or a 'messages' list; found fields "
              + LogprobsCommand.fieldNames(line.node()));
    }
    return renderer.render(prompt);
  }

  private List<Message> messages(Jsonl.Line line, JsonNode messages) {
    String where = input + " " + Jsonl.label(line) + ": ";
    if (!messages.isArray() || messages.isEmpty()) {
      throw new InputException(where + "'messages' must be a non-empty list of {role, content}");
    }
    List<Message> out = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      JsonNode role = m.get("role");
      JsonNode content = m.get("content");
      if (!m.isObject()
          || role == null
          || !role.isTextual()
          || content == null
          || !content.isTextual()) {
        throw new InputException(
            where
                + "messages["
                + i
                + "] must be {\"role\": string, \"content\": string}, found "
                + m);
      }
      if (!Message.ROLES.contains(role.asText())) {
        throw new InputException(
            where
                + "messages["
                + i
                + "] has role '"
                + role.asText()
                + "'; allowed roles are "
                + Message.ROLES);
      }
      out.add(new Message(role.asText(), content.asText()));
    }
    return out;
  }
}
