package dev.d2o.datagen;

/**
 * The judge's answer for one (prompt, response).
 *
 * @param label the label
 * @param topic the topic the response was judged against, or null when unknown
 * @param topicSource where the topic came from
 * @param reason why this label, in words: for a malformed response where the reading failed
 * @param parse the reading of the response, or null when malformed for want of one
 */
public record Verdict(
    JudgeLabel label, String topic, TopicSource topicSource, String reason, Parse parse) {

  /** Where the judge took the prompt's topic from. */
  public enum TopicSource {
    /** Read from the prompt with the generator's prompt templates. */
    TEMPLATE,
    /** Given by the caller (a {@code topic} column, e.g. for paraphrased prompts). */
    GIVEN,
    /** Neither: the prompt matches no template and no topic was given. */
    UNKNOWN
  }
}
