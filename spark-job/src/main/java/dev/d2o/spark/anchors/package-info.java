/**
 * The {@code anchors} stage: executors sample K anchors per prompt from the reference (in canonical
 * groups, so samples do not depend on partitioning) and score anchors and negative under it; the
 * result is a Parquet table of {@link dev.d2o.spark.anchors.AnchorRow}s.
 */
package dev.d2o.spark.anchors;
