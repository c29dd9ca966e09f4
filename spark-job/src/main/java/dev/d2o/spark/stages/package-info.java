/**
 * A whole run, stage by stage ({@link dev.d2o.spark.stages.Pipeline}: input, {@code anchors},
 * {@code train}, {@code evaluate}, or {@code sft}) with its run summary ({@link
 * dev.d2o.spark.stages.RunSummary}), and the loss comparison ({@link
 * dev.d2o.spark.stages.Comparison}). The stages themselves live in {@code dev.d2o.spark.anchors},
 * {@code dev.d2o.spark.train} and {@code dev.d2o.spark.eval}.
 */
package dev.d2o.spark.stages;
