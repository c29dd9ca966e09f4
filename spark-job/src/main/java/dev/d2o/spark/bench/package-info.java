/**
 * The Spark half of {@code d2o bench}: the D²O train step through {@link
 * dev.d2o.spark.train.TrainStage} on a local master against the single-process trainer on the same
 * global batch ({@link dev.d2o.spark.bench.SparkStepBench}).
 */
package dev.d2o.spark.bench;
