package dev.d2o.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's chat template, rendered exactly as Hugging Face's {@code
 * tokenizer.apply_chat_template(messages, add_generation_prompt=..., tokenize=False)} renders it:
 * the same Jinja source, the variables {@code messages}, {@code add_generation_prompt}, {@code
 * tools=None}, {@code documents=None} and the special tokens of {@code tokenizer_config.json}
 * ({@code bos_token}, {@code eos_token}, ...), and an engine configured as transformers configures
 * jinja2 ({@link JinjaEnvironment}). Golden renderings from Python's jinja2 check it byte for byte
 * (tools/chat-templates/make_golden.py, {@code ChatTemplateGoldenTest}).
 *
 * <p>Serializable (the Jinja source and the token strings travel; the engine is rebuilt lazily), so
 * Spark tasks can carry it.
 */
public final class ChatTemplate implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SPECIAL_TOKENS =
      List.of(
          "bos_token",
          "eos_token",
          "unk_token",
          "sep_token",
          "pad_token",
          "cls_token",
          "mask_token");

  private final String source;
  private final String template;
  private final Map<String, Object> specialTokens;
  private final Clock clock;
  private transient Jinjava engine;
  private transient EndOfTurn endOfTurn;
  private transient String lstripped;

  private ChatTemplate(
      String source, String template, Map<String, Object> specialTokens, Clock clock) {
    this.source = source;
    this.template = template;
    this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
    this.clock = clock;
  }

  /**
   * A template from its Jinja source. {@code source} names it in errors; {@code specialTokens} maps
   * {@code bos_token} etc. to their text (or to a list, for {@code additional_special_tokens}).
   */
  public static ChatTemplate of(String template, String source, Map<String, Object> specialTokens) {
    return new ChatTemplate(source, template, specialTokens, Clock.systemDefaultZone());
  }

  /**
   * The {@code chat_template} of {@code dir/tokenizer_config.json}, or empty when the file or the
   * key is absent (a base model).
   */
  public static Optional<ChatTemplate> fromModelDir(Path dir) {
    Path file = dir.resolve("tokenizer_config.json");
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    return fromTokenizerConfig(readJson(file), file.toString());
  }

  /**
   * The {@code chat_template} of a {@code tokenizer_config.json} whose text is {@code json} (read
   * from anywhere, e.g. a Hadoop file system; {@code source} names it), or empty without one.
   */
  public static Optional<ChatTemplate> fromTokenizerConfig(String json, String source) {
    return fromTokenizerConfig(parseJson(json, source), source);
  }

  private static Optional<ChatTemplate> fromTokenizerConfig(JsonNode config, String source) {
    JsonNode t = config.get("chat_template");
    if (t == null || t.isNull()) {
      return Optional.empty();
    }
    return Optional.of(
        new ChatTemplate(
            source,
            templateText(t, source),
            specialTokens(config, source),
            Clock.systemDefaultZone()));
  }

  /**
   * The template in {@code file} (Jinja source, or a {@code .json} file laid out like {@code
   * tokenizer_config.json}), with the special tokens of {@code modelDir/tokenizer_config.json} when
   * that exists ({@code modelDir} may be null).
   */
  public static ChatTemplate fromFile(Path file, Path modelDir) {
    if (!Files.isRegularFile(file)) {
      throw new ChatTemplateException("chat template file not found: " + file);
    }
    Path config = modelDir == null ? null : modelDir.resolve("tokenizer_config.json");
    String configText = null;
    String text;
    try {
      if (config != null && Files.isRegularFile(config)) {
        configText = Files.readString(config, StandardCharsets.UTF_8);
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ChatTemplateException("cannot read chat template " + file + ": " + e, e);
    }
    return fromFileText(text, file.toString(), configText, String.valueOf(config));
  }

  /**
   * A template file's text: Jinja source, or, when {@code source} ends with {@code .json}, JSON
   * laid out like {@code tokenizer_config.json}. The special tokens come from {@code configJson}
   * (the model's {@code tokenizer_config.json} text, named {@code configSource}; may be null), then
   * from the JSON file itself.
   */
  public static ChatTemplate fromFileText(
      String text, String source, String configJson, String configSource) {
    Map<String, Object> tokens = new LinkedHashMap<>();
    if (configJson != null) {
      tokens.putAll(specialTokens(parseJson(configJson, configSource), configSource));
    }
    String template = text;
    if (source.endsWith(".json")) {
      JsonNode root = parseJson(text, source);
      JsonNode t = root.get("chat_template");
      if (t == null || t.isNull()) {
        throw new ChatTemplateException(source + ": no 'chat_template' key");
      }
      template = templateText(t, source);
      tokens.putAll(specialTokens(root, source));
    }
    return new ChatTemplate(source, template, tokens, Clock.systemDefaultZone());
  }

  /** The same template with {@code strftime_now} reading {@code clock} (tests fix the date). */
  public ChatTemplate withClock(Clock clock) {
    return new ChatTemplate(source, template, specialTokens, clock);
  }

  /**
   * Renders {@code messages}; with {@code addGenerationPrompt} the text ends where the assistant's
   * answer starts. A template's {@code raise_exception(msg)} (and any template error) throws a
   * {@link ChatTemplateException} naming this template and the message.
   */
  public String render(List<Message> messages, boolean addGenerationPrompt) {
    List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
    for (Message m : messages) {
      msgs.add(m.asMap());
    }
    Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
    vars.put("messages", msgs);
    vars.put("tools", null);
    vars.put("documents", null);
    vars.put("add_generation_prompt", addGenerationPrompt);
    RenderResult result = engine().renderForResult(parsedSource(), vars);
    for (TemplateError e : result.getErrors()) {
      Throwable raised = raised(e.getException());
      if (raised != null) {
        throw new ChatTemplateException(
            "chat template " + source + " raised an exception: " + raised.getMessage());
      }
    }
    for (TemplateError e : result.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new ChatTemplateException(
            "chat template " + source + " failed at line " + e.getLineno() + ": " + e.getMessage());
      }
    }
    return result.getOutput();
  }

  /** A one-turn user conversation with the generation prompt: the model input for a prompt. */
  public String renderPrompt(String prompt) {
    return render(List.of(Message.user(prompt)), true);
  }

  /**
   * The text that closes an assistant turn ({@code <|eot_id|>} for Llama 3, {@code <|im_end|>} for
   * Qwen, {@code </s>} for Mistral, {@code <end_of_turn>} for Gemma), derived from the template:
   * what follows the assistant's content when a conversation ending with an assistant turn is
   * rendered, trailing whitespace removed. Empty when the template writes nothing after it.
   */
  public String endOfTurn() {
    return derived().endOfTurn();
  }

  /**
   * Text the template puts between the generation prompt and the assistant's content (a space for
   * Mistral's {@code [/INST] answer}); empty for most templates.
   */
  public String assistantPrefix() {
    return derived().assistantPrefix();
  }

  /** The special token {@code name} ({@code bos_token}, ...) as the template sees it, if set. */
  public Optional<String> specialToken(String name) {
    Object v = specialTokens.get(name);
    return v instanceof String s ? Optional.of(s) : Optional.empty();
  }

  /** Where the template came from (a file), for messages. */
  public String source() {
    return source;
  }

  /** The Jinja source. */
  public String text() {
    return template;
  }

  private synchronized String parsedSource() {
    if (lstripped == null) {
      lstripped = LstripBlocks.apply(template);
    }
    return lstripped;
  }

  private synchronized Jinjava engine() {
    if (engine == null) {
      engine = JinjaEnvironment.create(clock);
    }
    return engine;
  }

  private synchronized EndOfTurn derived() {
    if (endOfTurn == null) {
      endOfTurn = EndOfTurn.derive(this);
    }
    return endOfTurn;
  }

  private static Throwable raised(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof JinjaEnvironment.Raised) {
        return c;
      }
    }
    return null;
  }

  private static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new ChatTemplateException("cannot parse " + file + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode parseJson(String text, String source) {
    try {
      JsonNode n = JSON.readTree(text);
      if (n == null || !n.isObject()) {
        throw new ChatTemplateException("cannot parse " + source + ": not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new ChatTemplateException("cannot parse " + source + ": " + e.getMessage(), e);
    }
  }

  /** A string template, or the list form {@code [{name, template}]} whose "default" is used. */
  private static String templateText(JsonNode t, String file) {
    if (t.isTextual()) {
      return t.asText();
    }
    if (t.isArray()) {
      List<String> names = new ArrayList<>();
      for (JsonNode entry : t) {
        String name = entry.path("name").asText(null);
        names.add(name);
        if ("default".equals(name) && entry.path("template").isTextual()) {
          return entry.get("template").asText();
        }
      }
      throw new ChatTemplateException(
          file + ": 'chat_template' lists templates " + names + " but none named \"default\"");
    }
    throw new ChatTemplateException(
        file
            + ": 'chat_template' must be a string or a list of {name, template}, found "
            + t.getNodeType().toString().toLowerCase());
  }

  /** Special tokens as {@code special_tokens_map} gives them: strings or AddedToken contents. */
  private static Map<String, Object> specialTokens(JsonNode config, String file) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String key : SPECIAL_TOKENS) {
      String text = tokenText(config.get(key), file, key);
      if (text != null) {
        out.put(key, text);
      }
    }
    JsonNode extra = config.get("additional_special_tokens");
    if (extra != null && extra.isArray() && extra.size() > 0) {
      List<String> list = new ArrayList<>();
      for (JsonNode t : extra) {
        list.add(tokenText(t, file, "additional_special_tokens"));
      }
      out.put("additional_special_tokens", list);
    }
    return out;
  }

  private static String tokenText(JsonNode v, String file, String key) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isObject() && v.path("content").isTextual()) {
      return v.get("content").asText();
    }
    throw new ChatTemplateException(
        file + ": '" + key + "' must be a string or an AddedToken {\"content\": ...}, found " + v);
  }
}
