package dev.d2o.spark.train;

import dev.d2o.chat.Message;
import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.train.TrainExample;
import java.io.Serializable;
import java.util.List;

/**
 * A D²O training row: model-core's {@link TrainExample} (token ids and reference log-probs), made
 * once when the anchors are read, and the prompt and negative texts an anchor refresh samples from
 * again.
 *
 * @param prompt the prompt text
 * @param negative the human negative text
 * @param conversation the multi-turn prompt, or null (the prompt is one user turn)
 * @param example the example the gradient is computed on
 */
record AnchoredExample(
    String prompt, String negative, List<Message> conversation, TrainExample example)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The training row of an anchors-table row. */
  static AnchoredExample of(AnchorRow a) {
    List<Message> c = a.conversation() == null ? null : List.copyOf(a.conversation());
    return new AnchoredExample(a.prompt(), a.negative(), c, a.toExample());
  }
}
