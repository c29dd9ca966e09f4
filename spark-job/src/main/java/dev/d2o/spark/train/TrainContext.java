package dev.d2o.spark.train;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.io.RunDir;
import org.apache.spark.sql.SparkSession;

/**
 * What driver-side step work ({@link StepExtras}) is built from.
 *
 * @param spark the session
 * @param cfg the job configuration
 * @param run the run directory
 * @param spec the executors' replica spec
 * @param weights the weights publisher
 * @param times where the step's work records its seconds
 */
record TrainContext(
    SparkSession spark,
    JobConfig cfg,
    RunDir run,
    ReplicaSpec spec,
    WeightsPublisher weights,
    StepTimes times) {}
