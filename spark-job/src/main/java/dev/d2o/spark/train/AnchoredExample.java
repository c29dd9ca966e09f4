package dev.d2o.spark.train;

import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.train.TrainExample;
import java.io.Serializable;

/**
 * A D²O training row: model-core's {@link TrainExample} (token ids and reference log-probs), made
 * once when the anchors are read, and the prompt and negative texts an anchor refresh samples from
 * again.
 *
 * @param prompt the prompt text
 * @param negative the human negative text
 * @param example the example the gradient is computed on
 */
record AnchoredExample(String prompt, String negative, TrainExample example)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The training row of an anchors-table row. */
  static AnchoredExample of(AnchorRow a) {
    return new AnchoredExample(a.prompt(), a.negative(), a.toExample());
  }
}
