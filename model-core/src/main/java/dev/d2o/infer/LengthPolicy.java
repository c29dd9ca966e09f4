package dev.d2o.infer;

import dev.d2o.model.ModelException;
import java.util.Arrays;

/** What to do with a sequence longer than the model's context. */
public enum LengthPolicy {
  /** Refuse, naming the row and the lengths (the default). */
  FAIL("fail"),
  /** Drop prompt tokens from the left until the sequence fits; the response is never cut. */
  TRUNCATE_PROMPT_LEFT("truncate-prompt-left");

  private final String key;

  LengthPolicy(String key) {
    this.key = key;
  }

  /** The configuration spelling. */
  public String key() {
    return key;
  }

  /** Parses {@code fail} or {@code truncate-prompt-left}. */
  public static LengthPolicy parse(String s) {
    for (LengthPolicy p : values()) {
      if (p.key.equals(s)) {
        return p;
      }
    }
    throw new ModelException(
        "unknown length policy '" + s + "'; allowed: fail, truncate-prompt-left");
  }

  /** Applies the policy to a request for a model with {@code maxPositions} positions. */
  public ScoreRequest apply(ScoreRequest r, int maxPositions) {
    if (r.length() <= maxPositions) {
      return r;
    }
    if (this == FAIL || r.responseIds().length >= maxPositions) {
      throw new ModelException(
          "row "
              + r.label()
              + ": prompt of "
              + r.promptIds().length
              + " tokens + response of "
              + r.responseIds().length
              + " tokens = "
              + r.length()
              + " exceeds the model's context of "
              + maxPositions
              + " positions"
              + (this == FAIL
                  ? " (length policy 'fail'; 'truncate-prompt-left' keeps the end of the prompt)"
                  : ", and the response alone does not fit"));
    }
    int keep = maxPositions - r.responseIds().length;
    int[] prompt =
        Arrays.copyOfRange(r.promptIds(), r.promptIds().length - keep, r.promptIds().length);
    return new ScoreRequest(r.label(), prompt, r.responseIds());
  }
}
