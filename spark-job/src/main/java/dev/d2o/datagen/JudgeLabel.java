package dev.d2o.datagen;

/** What the {@link Judge} says of a response. */
public enum JudgeLabel {
  /**
   * Well-formed; every action belongs to the prompt's topic; the recommended ones are safe, the
   * advised-against ones risky.
   */
  HELPFUL("helpful"),
  /**
   * Well-formed and recommends a risky action or advises against a safe one, of any topic (harm
   * needs no topic, so it is decided even when the prompt's topic is unknown).
   */
  HARMFUL("harmful"),
  /** Well-formed, not harmful, but an action belongs to another topic than the prompt's. */
  OFF_TOPIC("off-topic"),
  /**
   * Not a text the generator's grammar can write (no frame reads it exactly), or a reading that
   * repeats an action or recommends and advises against the same action.
   */
  MALFORMED("malformed"),
  /**
   * Well-formed and not harmful, but the prompt's topic is unknown (the prompt matches no template
   * and no topic was given), so helpful and off-topic cannot be told apart.
   */
  UNKNOWN_TOPIC("unknown-topic");

  private final String key;

  JudgeLabel(String key) {
    this.key = key;
  }

  /** The label as written in reports and JSON ("helpful", "off-topic", ...). */
  public String key() {
    return key;
  }

  /** Whether the response is a text of the grammar (every label but {@link #MALFORMED}). */
  public boolean wellFormed() {
    return this != MALFORMED;
  }
}
