package dev.d2o.train;

/**
 * Training stopped after too many non-finite steps in a row ({@code maxConsecutiveSkips}); carries
 * the result of the step that stopped it, so a trainer can record that step's metrics before it
 * gives up.
 */
public class TrainStoppedException extends TrainException {
  private static final long serialVersionUID = 1L;

  private final transient StepResult last;

  public TrainStoppedException(String message, StepResult last) {
    super(message);
    this.last = last;
  }

  /** The skipped step that stopped training. */
  public StepResult last() {
    return last;
  }
}
