/**
 * The evaluation of a policy against its reference on held-out prompts: per-prompt generation and
 * exact scoring on executors ({@link dev.d2o.spark.eval.PromptEvaluator}), diversity ({@link
 * dev.d2o.spark.eval.Diversity}), harmfulness by a Spark MLlib cost model ({@link
 * dev.d2o.spark.eval.CostModelAdapter}), the summary numbers ({@link
 * dev.d2o.spark.eval.EvalResult}) and the report with its plots ({@link
 * dev.d2o.spark.eval.EvalReport}, {@link dev.d2o.spark.eval.LinePlot}, {@link
 * dev.d2o.spark.eval.TrainingPlots}). The stage that ties them together is {@link
 * dev.d2o.spark.eval.EvaluateStage}.
 */
package dev.d2o.spark.eval;
