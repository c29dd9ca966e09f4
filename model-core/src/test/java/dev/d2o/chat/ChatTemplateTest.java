package dev.d2o.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading chat templates, the end-of-turn text, and template errors. */
class ChatTemplateTest {
  @TempDir Path dir;

  static ChatTemplate published(String name) throws Exception {
    return ChatTemplate.fromModelDir(ChatTemplateGoldenTest.resources().resolve(name))
        .orElseThrow();
  }

  @Test
  void endOfTurnIsDerivedFromEachTemplate() throws Exception {
    assertEquals("<|eot_id|>", published("llama-3.1-8b-instruct").endOfTurn());
    assertEquals("<|im_end|>", published("qwen2.5-7b-instruct").endOfTurn());
    assertEquals("</s>", published("mistral-7b-instruct-v0.3").endOfTurn());
    assertEquals("<end_of_turn>", published("gemma-2-it").endOfTurn());
  }

  @Test
  void assistantPrefixIsWhatTheTemplateWritesBeforeTheAnswer() throws Exception {
    assertEquals(" ", published("mistral-7b-instruct-v0.3").assistantPrefix());
    assertEquals("", published("qwen2.5-7b-instruct").assistantPrefix());
    assertEquals("", published("llama-3.1-8b-instruct").assistantPrefix());
    assertEquals("", published("gemma-2-it").assistantPrefix());
  }

  @Test
  void renderPromptIsAOneTurnUserConversationWithTheGenerationPrompt() throws Exception {
    ChatTemplate qwen = published("qwen2.5-7b-instruct");
    assertEquals(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
            + "<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
        qwen.renderPrompt("Hello"));
  }

  @Test
  void raiseExceptionNamesTheTemplateAndItsMessage() throws Exception {
    ChatTemplate gemma = published("gemma-2-it");
    ChatTemplateException e =
        assertThrows(
            ChatTemplateException.class,
            () -> gemma.render(List.of(Message.system("s"), Message.user("u")), true));
    assertEquals(
        "chat template " + gemma.source() + " raised an exception: System role not supported",
        e.getMessage());
    assertTrue(gemma.source().endsWith("gemma-2-it/tokenizer_config.json"), gemma.source());
  }

  @Test
  void aSyntaxErrorNamesTheTemplateAndTheLine() {
    ChatTemplate t =
        ChatTemplate.of("line one\n{% for m in messages %}{{ m.content }}", "bad.jinja", Map.of());
    ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.renderPrompt("x"));
    assertTrue(
        e.getMessage().startsWith("chat template bad.jinja failed at line "), e.getMessage());
  }

  @Test
  void listFormUsesTheDefaultTemplateAndAddedTokensGiveTheirContent() throws Exception {
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"bos_token\": {\"__type\": \"AddedToken\", \"content\": \"<B>\", \"lstrip\": false},"
            + " \"eos_token\": \"<E>\", \"pad_token\": null,"
            + " \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"tools\"},"
            + " {\"name\": \"default\", \"template\": \"{{ bos_token }}{{ messages[0].content }}"
            + "{{ eos_token }}{{ pad_token }}\"}]}");
    ChatTemplate t = ChatTemplate.fromModelDir(dir).orElseThrow();
    assertEquals("<B>hi<E>", t.renderPrompt("hi"));
    assertEquals("<E>", t.specialToken("eos_token").orElseThrow());
    assertTrue(t.specialToken("pad_token").isEmpty());
  }

  @Test
  void listFormWithoutDefaultIsAnError() throws Exception {
    Path cfg = dir.resolve("tokenizer_config.json");
    Files.writeString(cfg, "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}]}");
    ChatTemplateException e =
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDir(dir));
    assertEquals(
        cfg + ": 'chat_template' lists templates [tool_use] but none named \"default\"",
        e.getMessage());
  }

  @Test
  void wrongTypesAreErrorsNamingTheKey() throws Exception {
    Path cfg = dir.resolve("tokenizer_config.json");
    Files.writeString(cfg, "{\"chat_template\": 3}");
    assertEquals(
        cfg + ": 'chat_template' must be a string or a list of {name, template}, found number",
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDir(dir))
            .getMessage());
    Files.writeString(cfg, "{\"chat_template\": \"x\", \"bos_token\": 1}");
    assertEquals(
        cfg + ": 'bos_token' must be a string or an AddedToken {\"content\": ...}, found 1",
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDir(dir))
            .getMessage());
  }

  @Test
  void aBaseModelHasNoTemplate() throws Exception {
    assertTrue(ChatTemplate.fromModelDir(dir).isEmpty()); // no tokenizer_config.json
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
    assertTrue(ChatTemplate.fromModelDir(dir).isEmpty());
  }

  @Test
  void aTemplateFileTakesTheModelsSpecialTokens() throws Exception {
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
    Path file = dir.resolve("chat.jinja");
    Files.writeString(
        file,
        "{{ bos_token }}Q: {{ messages[-1].content }}\n{% if add_generation_prompt %}A:{% endif %}");
    ChatTemplate t = ChatTemplate.fromFile(file, dir);
    assertEquals("<s>Q: why?\nA:", t.renderPrompt("why?"));
    assertEquals(file.toString(), t.source());
    // No text after the assistant's content: no end-of-turn text.
    assertEquals("", t.endOfTurn());
    ChatTemplateException e =
        assertThrows(
            ChatTemplateException.class,
            () -> ChatTemplate.fromFile(dir.resolve("nope.jinja"), dir));
    assertEquals("chat template file not found: " + dir.resolve("nope.jinja"), e.getMessage());
  }

  @Test
  void aTemplateThatRaisesOnEveryConversationHasNoEndOfTurn() {
    ChatTemplate t =
        ChatTemplate.of("{{ raise_exception('needs a system turn') }}", "strict.jinja", Map.of());
    assertEquals(
        "cannot derive the end-of-turn text from a one-turn conversation: chat template strict.jinja"
            + " raised an exception: needs a system turn",
        assertThrows(ChatTemplateException.class, t::endOfTurn).getMessage());
  }

  @Test
  void survivesJavaSerialization() throws Exception {
    ChatTemplate t = published("llama-3.1-8b-instruct");
    String before = t.renderPrompt("x");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(t);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      ChatTemplate copy = (ChatTemplate) in.readObject();
      assertEquals(before, copy.renderPrompt("x"));
      assertEquals("<|eot_id|>", copy.endOfTurn());
    }
  }
}
