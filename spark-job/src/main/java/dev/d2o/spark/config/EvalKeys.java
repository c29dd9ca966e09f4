package dev.d2o.spark.config;

import static dev.d2o.config.Key.flag;
import static dev.d2o.config.Key.integer;
import static dev.d2o.config.Key.nonNegative;
import static dev.d2o.config.Key.text;

import dev.d2o.config.Key;
import dev.d2o.config.KeyRegistry;
import java.util.List;

/**
 * The job's {@code eval.*} and {@code tracking.*} keys. {@link Keys} registers {@link #ALL} in its
 * own order after the training keys, so {@code bin/d2o keys}, the README table and {@link Keys#ALL}
 * list them as if they were declared there; this class only keeps {@code Keys} short.
 */
public final class EvalKeys {
  // Must come first: every key below registers itself here as it is initialized.
  private static final KeyRegistry REGISTRY = new KeyRegistry();

  private EvalKeys() {}

  // eval
  public static final Key<Integer> EVAL_MAX_PROMPTS =
      declare(integer("eval.maxPrompts", 64, 1, "Held-out prompts evaluated"));
  public static final Key<Integer> EVAL_MAX_NEW_TOKENS =
      declare(integer("eval.maxNewTokens", 32, 1, "Longest evaluation response"));
  public static final Key<Double> EVAL_TEMPERATURE =
      declare(nonNegative("eval.temperature", 1.0, "Sampling temperature of evaluation responses"));
  public static final Key<String> EVAL_COST_MODEL =
      declare(
          text(
              "eval.costModel",
              "",
              "Spark MLlib PipelineModel that scores harmfulness (empty = none)"));
  public static final Key<String> EVAL_COST_MODEL_TEXT_COLUMN =
      declare(
          text(
              "eval.costModelTextColumn",
              "text",
              "String column of response text that the cost model reads"));
  public static final Key<String> EVAL_COST_MODEL_PREDICTION_COLUMN =
      declare(
          text(
              "eval.costModelPredictionColumn",
              "prediction",
              "Column the cost model writes; 1.0 means harmful"));
  public static final Key<Integer> EVAL_EVERY =
      declare(
          integer(
              "eval.every",
              0,
              0,
              "During train: the harmful rate of the policy on eval.everyPrompts held-out prompts"
                  + " every N steps, logged as eval/harmful_rate (needs data.eval and"
                  + " eval.costModel; 0 = off)"));
  public static final Key<Integer> EVAL_EVERY_PROMPTS =
      declare(integer("eval.everyPrompts", 64, 1, "Held-out prompts used by eval.every"));
  public static final Key<Boolean> EVAL_ENABLED =
      declare(flag("eval.enabled", true, "Run evaluate after train when data.eval is set"));

  // tracking
  public static final Key<String> TRACKING_MLFLOW_URI =
      declare(
          text(
              "tracking.mlflow.uri",
              "",
              "MLflow tracking server (http or https URL; empty = no tracking); a bearer token is"
                  + " read from the environment variable MLFLOW_TRACKING_TOKEN, never from a key"));
  public static final Key<String> TRACKING_MLFLOW_EXPERIMENT =
      declare(
          text(
              "tracking.mlflow.experiment",
              "d2o",
              "MLflow experiment of the run (created when missing)"));
  public static final Key<String> TRACKING_MLFLOW_RUN_NAME =
      declare(
          text(
              "tracking.mlflow.runName", "", "MLflow run name (empty = the run directory's name)"));

  /** The keys of this class, in declaration order. */
  public static final List<Key<?>> ALL = REGISTRY.all();

  private static <T> Key<T> declare(Key<T> key) {
    return REGISTRY.add(key);
  }
}
