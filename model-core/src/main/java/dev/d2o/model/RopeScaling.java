package dev.d2o.model;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rotary-embedding frequency scaling from {@code rope_scaling} in {@code config.json}: none, {@code
 * linear} (positions divided by a factor) or {@code llama3} (Llama 3.1's piecewise rescaling of the
 * inverse frequencies, as in Hugging Face's {@code _compute_llama3_parameters}).
 *
 * @param type "none", "linear" or "llama3"
 * @param factor scaling factor
 * @param lowFreqFactor llama3 only
 * @param highFreqFactor llama3 only
 * @param originalMaxPositions llama3 only
 */
public record RopeScaling(
    String type,
    double factor,
    double lowFreqFactor,
    double highFreqFactor,
    int originalMaxPositions) {

  /** No scaling. */
  public static final RopeScaling NONE = new RopeScaling("none", 1, 0, 0, 0);

  static RopeScaling parse(JsonNode node, String source) {
    if (node == null || node.isNull()) {
      return NONE;
    }
    if (!node.isObject()) {
      throw new ModelException(
          "rope_scaling in " + source + " is " + node + "; expected an object or null");
    }
    String type = node.path("rope_type").asText(node.path("type").asText(""));
    JsonNode factor = node.get("factor");
    if (factor != null
        && !factor.isNull()
        && (!factor.isNumber()
            || !(factor.asDouble() > 0)
            || Double.isInfinite(factor.asDouble()))) {
      throw new ModelException(
          "rope_scaling.factor in " + source + " is " + factor + "; expected a positive number");
    }
    switch (type) {
      case "default":
        return NONE;
      case "linear":
        return new RopeScaling("linear", node.path("factor").asDouble(1.0), 0, 0, 0);
      case "llama3":
        return new RopeScaling(
            "llama3",
            node.path("factor").asDouble(8.0),
            node.path("low_freq_factor").asDouble(1.0),
            node.path("high_freq_factor").asDouble(4.0),
            node.path("original_max_position_embeddings").asInt(8192));
      default:
        throw new ModelException(
            "rope_scaling type '"
                + type
                + "' in "
                + source
                + " is not supported; supported: default, linear, llama3");
    }
  }

  /**
   * Inverse frequencies {@code 1 / theta^(2i/d)} for {@code i < d/2}, with this scaling applied.
   */
  public float[] inverseFrequencies(int headDim, double theta) {
    float[] inv = new float[headDim / 2];
    for (int i = 0; i < inv.length; i++) {
      // HF computes inv_freq in fp32 from an int64 arange: 1.0 / (base ** (arange(0, d, 2).float()
      // / d))
      double f = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
      if (type.equals("linear")) {
        f /= factor;
      } else if (type.equals("llama3")) {
        double lowWavelen = originalMaxPositions / lowFreqFactor;
        double highWavelen = originalMaxPositions / highFreqFactor;
        double wavelen = 2 * Math.PI / f;
        if (wavelen > lowWavelen) {
          f = f / factor;
        } else if (wavelen >= highWavelen) {
          double smooth =
              (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
          f = (1 - smooth) * f / factor + smooth * f;
        }
      }
      inv[i] = (float) f;
    }
    return inv;
  }
}
