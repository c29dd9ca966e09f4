package dev.d2o.spark.tracking;

import java.net.URI;
import java.time.Clock;

/** Opens the tracker the settings ask for. */
public final class Trackers {
  private Trackers() {}

  /**
   * The no-op tracker when {@code settings} has no URI; otherwise an MLflow run: {@code
   * resumeRunId} continues that run (the caller stored it from {@link Tracker#runId()}), null
   * starts a new one in {@code settings.experiment()}.
   */
  public static Tracker open(TrackingSettings settings, String resumeRunId) {
    if (!settings.enabled()) {
      return Tracker.noop();
    }
    MlflowClient client =
        new MlflowClient(URI.create(settings.uri().trim()), settings.token(), Clock.systemUTC());
    return resumeRunId == null
        ? MlflowTracker.start(client, settings.experiment(), settings.runName())
        : MlflowTracker.resume(client, resumeRunId);
  }
}
