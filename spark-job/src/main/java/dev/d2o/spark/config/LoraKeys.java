package dev.d2o.spark.config;

import static dev.d2o.config.Key.integer;
import static dev.d2o.config.Key.positive;
import static dev.d2o.config.Key.text;

import dev.d2o.config.Key;
import dev.d2o.config.KeyRegistry;
import java.util.List;

/**
 * The job's {@code lora.*} keys. {@link Keys} registers {@link #ALL} in its own order after the
 * model keys, so {@code bin/d2o keys}, the README table and {@link Keys#ALL} list them as if they
 * were declared there; this class only keeps {@code Keys} short.
 */
public final class LoraKeys {
  // Must come first: every key below registers itself here as it is initialized.
  private static final KeyRegistry REGISTRY = new KeyRegistry();

  private LoraKeys() {}

  public static final Key<Integer> LORA_RANK =
      declare(
          integer(
                  "lora.rank",
                  0,
                  0,
                  "LoRA rank r (0 = full fine-tuning): only the adapters train, travel and are"
                      + " checkpointed; the base model is frozen and doubles as the reference")
              .mustMatchOnResume());
  public static final Key<Double> LORA_ALPHA =
      declare(
          positive("lora.alpha", 16.0, "LoRA alpha: the adapter update is (alpha/r)·B·A")
              .mustMatchOnResume());
  public static final Key<Double> LORA_DROPOUT =
      declare(
          Key.of(
                  "lora.dropout",
                  Double.class,
                  0.0,
                  "0 (dropout > 0 is not implemented yet)",
                  v -> v == 0.0,
                  "Dropout on the adapter input (PEFT's lora_dropout); not implemented yet, so"
                      + " only 0 is accepted")
              .mustMatchOnResume());
  public static final Key<String> LORA_TARGETS =
      declare(
          text(
                  "lora.targets",
                  "auto",
                  "Comma-separated modules to adapt, matched as PEFT's target_modules (Llama"
                      + " q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj; GPT-2"
                      + " c_attn,c_proj,c_fc); auto = the attention projections")
              .mustMatchOnResume());

  /** The keys of this class, in declaration order. */
  public static final List<Key<?>> ALL = REGISTRY.all();

  private static <T> Key<T> declare(Key<T> key) {
    return REGISTRY.add(key);
  }
}
