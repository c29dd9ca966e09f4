/**
 * The Spark application's runtime: session setup, the per-JVM model cache and policy replica
 * executors use, devices, canonical groups of rows, fault injection and cluster events. The stages
 * live in the subpackages ({@code anchors}, {@code train}, {@code eval}; {@code stages} runs them).
 * Spark code never touches NDArrays directly; it moves rows, float arrays and scalars, and calls
 * model-core.
 */
package dev.d2o.spark;
