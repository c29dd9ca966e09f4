/**
 * The Spark application: session setup, the per-JVM model cache executors use, and the stages
 * ({@code anchors}, {@code train}, {@code evaluate}). Spark code never touches NDArrays directly;
 * it moves rows, float arrays and scalars, and calls model-core.
 */
package dev.d2o.spark;
