package dev.d2o.train;

import java.io.Serializable;

/**
 * One supervised fine-tuning row: a prompt (context only) and the response whose tokens are learned
 * with the next-token loss. Used to train the demo's reference model from scratch with the same
 * distributed step as D²O.
 *
 * @param id names the row in messages
 * @param promptIds context tokens (at least one)
 * @param responseIds learned tokens, ending with EOS
 */
public record SftExample(String id, int[] promptIds, int[] responseIds) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Tokens fed through the model. */
  public long tokens() {
    return (long) promptIds.length + responseIds.length;
  }
}
