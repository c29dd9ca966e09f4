package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/**
 * config.json values of the wrong type are refused with the key, the value and what is expected;
 * before, an optional number, flag or token id of the wrong type silently became its default (or
 * 0).
 */
class ModelConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LLAMA =
      "{\"model_type\":\"llama\",\"vocab_size\":260,\"hidden_size\":32,"
          + "\"intermediate_size\":64,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"max_position_embeddings\":64";

  private static String error(String extra) {
    return assertThrows(
            ModelException.class,
            () ->
                ModelConfig.fromJson(
                    (ObjectNode) JSON.readTree(LLAMA + extra + "}"), "m/config.json"))
        .getMessage();
  }

  @Test
  void wrongTypesAreNamedNotReplacedByDefaults() {
    assertEquals(
        "key 'rms_norm_eps' in m/config.json is \"1e-6\"; expected a positive number",
        error(",\"rms_norm_eps\":\"1e-6\""));
    assertEquals(
        "key 'rope_theta' in m/config.json is -1; expected a positive number",
        error(",\"rope_theta\":-1"));
    assertEquals(
        "key 'tie_word_embeddings' in m/config.json is \"yes\"; expected true or false",
        error(",\"tie_word_embeddings\":\"yes\""));
    assertEquals(
        "key 'eos_token_id' in m/config.json is [2,\"x\"]; expected token ids",
        error(",\"eos_token_id\":[2,\"x\"]"));
    assertEquals(
        "key 'bos_token_id' in m/config.json is 1.5; expected a token id",
        error(",\"bos_token_id\":1.5"));
    assertEquals(
        "rope_scaling.factor in m/config.json is 0; expected a positive number",
        error(",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":0}"));
    assertEquals(
        "rope_scaling in m/config.json is \"linear\"; expected an object or null",
        error(",\"rope_scaling\":\"linear\""));
  }

  @Test
  void missingAndNonPositiveSizesAreNamed() {
    assertEquals(
        "key 'num_hidden_layers' in m/config.json is 0; expected a positive integer",
        error(",\"num_hidden_layers\":0")); // a repeated key: the last value counts, as in Python's
    // json
  }
}
