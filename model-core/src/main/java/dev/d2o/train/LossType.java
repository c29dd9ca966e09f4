package dev.d2o.train;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The loss registry: the objectives of ARCHITECTURE.md §2 by their configuration names ({@code
 * loss=}). A new loss is a constant here and its formula in {@link Losses}; the configuration key,
 * the Estimator's Param and the docs take their allowed values from {@link #keys()}.
 */
public enum LossType {
  /** Distributional D²O, the paper's Eq. 3: mean over the K anchors inside σ. */
  D2O("d2o"),
  /** Instance-level D²O: mean over the K anchors outside log σ. */
  D2O_INSTANCE("d2o-instance"),
  /** DPO with the first anchor as the chosen response. */
  DPO("dpo"),
  /** Negative preference optimization: negatives only. */
  NPO("npo"),
  /** Gradient ascent on the negatives' per-token NLL. */
  GA("ga");

  private final String key;

  LossType(String key) {
    this.key = key;
  }

  /** The configuration name. */
  public String key() {
    return key;
  }

  /** All configuration names. */
  public static List<String> keys() {
    return Arrays.stream(values()).map(LossType::key).toList();
  }

  /** The objective named {@code name} ({@code "d2o-instance"}, …), if there is one. */
  public static Optional<LossType> find(String name) {
    return Arrays.stream(values()).filter(t -> t.key.equals(name)).findFirst();
  }

  @Override
  public String toString() {
    return key;
  }
}
