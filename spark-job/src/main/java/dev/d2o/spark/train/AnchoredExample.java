package dev.d2o.spark.train;

import dev.d2o.chat.Message;
import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.train.TrainExample;
import java.io.Serializable;
import java.util.List;

/**
 * A D²O training row: model-core's {@link TrainExample} (token ids and reference log-probs), made
 * once when the anchors are read, with the texts an anchor refresh samples from again and that a
 * saved copy of the rows keeps ({@link #toAnchorRow}).
 *
 * @param prompt the prompt text
 * @param negative the human negative text
 * @param promptText the model input (the prompt rendered with the chat template, or the prompt)
 * @param conversation the multi-turn prompt, or null (the prompt is one user turn)
 * @param anchors the anchor texts
 * @param example the example the gradient is computed on
 */
record AnchoredExample(
    String prompt,
    String negative,
    String promptText,
    List<Message> conversation,
    List<String> anchors,
    TrainExample example)
    implements Serializable {
  private static final long serialVersionUID = 3L;

  AnchoredExample {
    anchors = List.copyOf(anchors); // a row's list may be a Scala wrapper
    conversation = conversation == null ? null : List.copyOf(conversation);
  }

  /** The training row of an anchors-table row. */
  static AnchoredExample of(AnchorRow a) {
    return new AnchoredExample(
        a.prompt(), a.negative(), a.promptText(), a.conversation(), a.anchors(), a.toExample());
  }

  /** The same row with other reference log-probs (a reference update). */
  AnchoredExample withReference(double[] refLogpAnchors, double refLogpNegative) {
    return new AnchoredExample(
        prompt,
        negative,
        promptText,
        conversation,
        anchors,
        example.withReference(refLogpAnchors, refLogpNegative));
  }

  /** As a row of the anchors table, which is how rows made during training are saved. */
  AnchorRow toAnchorRow() {
    return new AnchorRow(
        example.id(),
        prompt,
        negative,
        promptText,
        conversation,
        example.promptIds(),
        example.negativeIds(),
        anchors,
        example.anchorIds(),
        example.refLogpAnchors(),
        example.refLogpNegative());
  }
}
