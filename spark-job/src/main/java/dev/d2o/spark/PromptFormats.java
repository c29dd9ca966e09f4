package dev.d2o.spark;

import dev.d2o.chat.ChatTemplate;
import dev.d2o.chat.PromptFormat;
import dev.d2o.chat.PromptRenderer;
import dev.d2o.error.ConfigException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.Console;
import dev.d2o.spark.io.HadoopFiles;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Resolves {@code data.promptFormat} and {@code model.chatTemplate} once, on the driver, into a
 * {@link PromptRenderer} that the stages' executor tasks carry (it is serializable: the template's
 * source travels, the Jinja engine is rebuilt where it renders). The model directory and the
 * template file may be on any Hadoop file system; only {@code tokenizer_config.json} and the
 * template are read.
 */
public final class PromptFormats {
  private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

  private PromptFormats() {}

  /** The renderer of {@code cfg}'s reference model ({@code model.path}). */
  public static PromptRenderer resolve(JobConfig cfg, Configuration conf) {
    return resolve(cfg, cfg.get(Keys.MODEL_PATH), conf);
  }

  /**
   * The renderer of {@code cfg}'s prompt format for the model at {@code modelDir} (a policy trained
   * from {@code model.path} has its tokenizer files).
   */
  public static PromptRenderer resolve(JobConfig cfg, String modelDir, Configuration conf) {
    return resolve(
        cfg.get(Keys.DATA_PROMPT_FORMAT), modelDir, cfg.get(Keys.MODEL_CHAT_TEMPLATE), conf);
  }

  /**
   * The renderer of {@code format} (auto, chat or raw) for {@code modelDir}, with the template of
   * {@code templateFile} when it is not empty, else of the model's {@code tokenizer_config.json}.
   * The end-of-turn text is derived here, so a template that cannot render a one-turn conversation
   * fails before any Spark job.
   */
  public static PromptRenderer resolve(
      String format, String modelDir, String templateFile, Configuration conf) {
    PromptFormat f;
    try {
      f = PromptFormat.parse(format);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("data.promptFormat: " + e.getMessage());
    }
    if (f == PromptFormat.RAW) {
      return PromptRenderer.raw();
    }
    Path config = new Path(HadoopFiles.qualify(modelDir), "tokenizer_config.json");
    String configText =
        HadoopFiles.exists(config, conf) ? HadoopFiles.readString(config, conf) : null;
    Optional<ChatTemplate> template;
    if (!templateFile.isEmpty()) {
      Path file = HadoopFiles.qualify(templateFile);
      if (!HadoopFiles.exists(file, conf)) {
        throw new ConfigException(
            "model.chatTemplate = "
                + templateFile
                + ": no such file (a Jinja template or a JSON"
                + " file with a chat_template key)");
      }
      template =
          Optional.of(
              ChatTemplate.fromFileText(
                  HadoopFiles.readString(file, conf),
                  file.toString(),
                  configText,
                  config.toString()));
    } else {
      template =
          configText == null
              ? Optional.empty()
              : ChatTemplate.fromTokenizerConfig(configText, config.toString());
    }
    PromptRenderer renderer = PromptRenderer.of(f, template, config.toString());
    if (renderer.isChat()) {
      String end = renderer.endOfTurn(); // derived now: a broken template fails on the driver
      if (ANNOUNCED.add(renderer.template().orElseThrow().source())) { // once per run, not stage
        Console.linef(
            "prompts: rendered with the chat template of %s (an assistant turn ends with %s)",
            renderer.template().orElseThrow().source(),
            end.isEmpty() ? "nothing" : "'" + end + "'");
      }
    }
    return renderer;
  }
}
