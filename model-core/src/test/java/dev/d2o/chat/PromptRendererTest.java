package dev.d2o.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.infer.TextPairs;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.TextTokenizer;
import dev.d2o.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolving the prompt format and encoding chat prompts on a tiny byte-level tokenizer. */
class PromptRendererTest {
  @TempDir Path dir;

  /** A tiny Llama whose tokenizer adds BOS ({@code <s>} = 257) and whose template writes it too. */
  TextTokenizer tinyChatModel() throws Exception {
    ModelConfig config = TinyModels.llama();
    TinyModels.writeRandom(config, 1, dir);
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"add_bos_token\": true, \"bos_token\": \"<s>\", \"eos_token\": \"<|endoftext|>\","
            + " \"chat_template\": \"{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{"
            + " m.content }}{% if m.role == 'assistant' %}{{ eos_token }}{% endif %}\\n{% endfor"
            + " %}{% if add_generation_prompt %}[assistant] {% endif %}\"}");
    return TextTokenizer.load(dir, config);
  }

  @Test
  void aTemplateThatWritesBosGetsNoSecondBos() throws Exception {
    try (TextTokenizer tok = tinyChatModel()) {
      assertTrue(tok.addsBos());
      assertEquals(TinyModels.BOS, tok.bosTokenId());
      PromptRenderer chat = PromptRenderer.resolve(PromptFormat.AUTO, dir, null);
      assertTrue(chat.isChat());
      String rendered = chat.render("hi");
      // trim_blocks eats the newline after {% endif %}, as jinja2 does
      assertEquals("<s>[user] hi[assistant] ", rendered);
      int[] ids = chat.promptIds(tok, rendered);
      assertEquals(TinyModels.BOS, ids[0]);
      assertEquals(1, Arrays.stream(ids).filter(i -> i == TinyModels.BOS).count());
      // The raw path adds the tokenizer's BOS: on the rendered text that would make two.
      int[] doubled = TextPairs.promptIds(tok, rendered);
      assertEquals(2, Arrays.stream(doubled).filter(i -> i == TinyModels.BOS).count());
      assertArrayEquals(doubled, concat(new int[] {TinyModels.BOS}, ids));
    }
  }

  @Test
  void chatResponsesEndWithTheEndOfTurnIds() throws Exception {
    try (TextTokenizer tok = tinyChatModel()) {
      PromptRenderer chat = PromptRenderer.resolve(PromptFormat.CHAT, dir, null);
      assertEquals("<|endoftext|>", chat.endOfTurn());
      assertArrayEquals(new int[] {TinyModels.EOS}, chat.endOfTurnIds(tok));
      assertArrayEquals(
          concat(tok.encode("ok"), new int[] {TinyModels.EOS}), chat.responseIds(tok, "ok", true));
      assertArrayEquals(tok.encode("ok"), chat.responseIds(tok, "ok", false));
      var req = chat.encode(tok, "r1", "hi", "ok", true);
      assertArrayEquals(chat.promptIds(tok, chat.render("hi")), req.promptIds());
    }
  }

  @Test
  void rawPromptsKeepTheTokenizersBosAndEos() throws Exception {
    try (TextTokenizer tok = tinyChatModel()) {
      PromptRenderer raw = PromptRenderer.resolve(PromptFormat.RAW, dir, null);
      assertFalse(raw.isChat());
      assertEquals("hi", raw.render("hi"));
      assertEquals("", raw.endOfTurn());
      assertArrayEquals(TextPairs.promptIds(tok, "hi"), raw.promptIds(tok, "hi"));
      assertArrayEquals(TextPairs.responseIds(tok, "ok", true), raw.responseIds(tok, "ok", true));
      // a conversation without a template is written as a transcript (HH-RLHF's style)
      assertEquals(
          "Human: a\n\nAssistant: b\n\nHuman: c\n\nAssistant:",
          raw.render(List.of(Message.user("a"), Message.assistant("b"), Message.user("c"))));
      assertEquals(
          "System: s\n\nHuman: u\n\nAssistant:",
          raw.render(List.of(Message.system("s"), Message.user("u"))));
      assertEquals("only", raw.render(List.of(Message.user("only"))));
      assertEquals(0, raw.stopIds(tok).length, "raw prompts stop at EOS only");
    }
  }

  @Test
  void thePrefixGoesBeforeTheLastUserTurn() throws Exception {
    try (TextTokenizer tok = tinyChatModel()) {
      PromptRenderer chat = PromptRenderer.resolve(PromptFormat.CHAT, dir, null);
      assertEquals("<s>[user] Be kind. hi[assistant] ", chat.render("hi", null, "Be kind. "));
      List<Message> conversation =
          List.of(Message.user("a"), Message.assistant("b"), Message.user("c"));
      assertEquals(
          "<s>[user] a[assistant] b<|endoftext|>[user] P: c[assistant] ",
          chat.render("ignored: the conversation is the prompt", conversation, "P: "));
      PromptRenderer raw = PromptRenderer.raw();
      assertEquals("P: hi", raw.render("hi", null, "P: "));
      assertEquals(
          "Human: a\n\nAssistant: b\n\nHuman: P: c\n\nAssistant:",
          raw.render("x", conversation, "P: "));
    }
  }

  @Test
  void generationStopsAtTheEndOfTurnTokenWhichMustBeOneToken() throws Exception {
    try (TextTokenizer tok = tinyChatModel()) {
      PromptRenderer chat = PromptRenderer.resolve(PromptFormat.CHAT, dir, null);
      assertArrayEquals(new int[] {TinyModels.EOS}, chat.stopIds(tok));
      Path file = dir.resolve("chatml.jinja");
      Files.writeString(
          file,
          "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor"
              + " %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
      PromptRenderer chatml = PromptRenderer.resolve(PromptFormat.CHAT, dir, file);
      assertEquals("<|im_end|>", chatml.endOfTurn());
      ChatTemplateException e =
          assertThrows(ChatTemplateException.class, () -> chatml.stopIds(tok));
      assertEquals(
          "chat template "
              + file
              + " ends an assistant turn with '<|im_end|>', which the tokenizer "
              + tok.file()
              + " splits into 10 tokens "
              + Arrays.toString(tok.encode("<|im_end|>"))
              + "; generation stops on one token, so the tokenizer must have '<|im_end|>' as a"
              + " special (added) token, as the template's own model does",
          e.getMessage());
      ChatTemplateException raised =
          assertThrows(
              ChatTemplateException.class,
              () ->
                  PromptRenderer.chat(
                          ChatTemplate.of("{{ raise_exception('no') }}", "t.jinja", Map.of()))
                      .renderRow("row id q7", "p", null, ""));
      assertEquals("row id q7: chat template t.jinja raised an exception: no", raised.getMessage());
    }
  }

  @Test
  void templatesReadFromTextAsFromFiles() throws Exception {
    try (TextTokenizer tok = tinyChatModel()) {
      String config = Files.readString(dir.resolve("tokenizer_config.json"));
      ChatTemplate fromText =
          ChatTemplate.fromTokenizerConfig(config, "hdfs://x/tokenizer_config.json").orElseThrow();
      assertEquals(
          ChatTemplate.fromModelDir(dir).orElseThrow().renderPrompt("hi"),
          fromText.renderPrompt("hi"));
      assertEquals("hdfs://x/tokenizer_config.json", fromText.source());
      assertFalse(ChatTemplate.fromTokenizerConfig("{\"bos_token\": \"<s>\"}", "c").isPresent());
      ChatTemplate file =
          ChatTemplate.fromFileText(
              "{{ bos_token }}{{ messages[0].content }}", "t.jinja", config, "c");
      assertEquals("<s>hi", file.renderPrompt("hi"));
      ChatTemplateException e =
          assertThrows(
              ChatTemplateException.class,
              () -> ChatTemplate.fromTokenizerConfig("[1]", "bad.json"));
      assertEquals("cannot parse bad.json: not a JSON object", e.getMessage());
    }
  }

  @Test
  void autoIsRawForABaseModelAndChatDemandsATemplate() throws Exception {
    TinyModels.writeRandom(TinyModels.llama(), 1, dir);
    assertFalse(PromptRenderer.resolve(PromptFormat.AUTO, dir, null).isChat());
    ChatTemplateException e =
        assertThrows(
            ChatTemplateException.class,
            () -> PromptRenderer.resolve(PromptFormat.CHAT, dir, null));
    assertEquals(
        "prompt format 'chat' needs a chat template, but "
            + dir.resolve("tokenizer_config.json")
            + " has no 'chat_template' and no template file is set",
        e.getMessage());
    Path file = dir.resolve("t.jinja");
    Files.writeString(file, "<{{ messages[0].content }}>");
    assertEquals("<x>", PromptRenderer.resolve(PromptFormat.CHAT, dir, file).render("x"));
    assertEquals(PromptFormat.CHAT, PromptFormat.parse("chat"));
    assertEquals(
        "prompt format 'Chat' is not one of [auto, chat, raw]",
        assertThrows(IllegalArgumentException.class, () -> PromptFormat.parse("Chat"))
            .getMessage());
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
