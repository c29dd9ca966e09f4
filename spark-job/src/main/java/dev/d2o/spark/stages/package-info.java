/**
 * The stages of a run: {@code anchors} (executors sample K anchors per prompt and score them under
 * the reference), {@code train} (synchronous data-parallel D²O with driver-aggregated gradients)
 * and {@code evaluate}.
 */
package dev.d2o.spark.stages;
