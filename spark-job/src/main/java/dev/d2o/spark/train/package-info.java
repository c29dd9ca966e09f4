/**
 * The {@code train} and {@code sft} stages: synchronous data-parallel training with
 * driver-aggregated gradients ({@link dev.d2o.spark.train.TrainStage}). Its pieces have one job
 * each: the versioned weights broadcast ({@code WeightsPublisher}), the gradient step over
 * canonical chunks ({@code GradientStep}), the per-row-type behaviour ({@code RowKind}: D²O rows or
 * SFT rows), anchor refresh and reference update ({@code Refresh}), the harmful-rate probe ({@code
 * HarmfulProbe}), the step log ({@code StepLog}, {@link dev.d2o.spark.train.Metrics}) and the
 * checkpoints and final model ({@code TrainOutputs}).
 */
package dev.d2o.spark.train;
