package dev.d2o.infer;

import dev.d2o.model.TextTokenizer;
import java.util.Arrays;

/**
 * Text (prompt, response) pairs to token ids. Prompt and response are tokenized separately and
 * concatenated, so a response token never merges with the end of the prompt; BOS is prepended where
 * the model's files say so and EOS is appended to the response by default (a D²O response ends with
 * EOS).
 */
public final class TextPairs {
  private TextPairs() {}

  /** Prompt ids: BOS (when the tokenizer adds one) then the prompt's tokens. */
  public static int[] promptIds(TextTokenizer tok, String prompt) {
    int[] body = tok.encode(prompt);
    if (!tok.addsBos() || tok.bosTokenId() < 0) {
      return body;
    }
    int[] out = new int[body.length + 1];
    out[0] = tok.bosTokenId();
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  /** Response ids: the response's tokens, then EOS when {@code appendEos} and the model has one. */
  public static int[] responseIds(TextTokenizer tok, String response, boolean appendEos) {
    int[] body = tok.encode(response);
    if (!appendEos || tok.eosTokenId() < 0) {
      return body;
    }
    int[] out = Arrays.copyOf(body, body.length + 1);
    out[body.length] = tok.eosTokenId();
    return out;
  }

  /** A score request for one text pair. */
  public static ScoreRequest encode(
      TextTokenizer tok, String label, String prompt, String response, boolean appendEos) {
    return new ScoreRequest(label, promptIds(tok, prompt), responseIds(tok, response, appendEos));
  }
}
