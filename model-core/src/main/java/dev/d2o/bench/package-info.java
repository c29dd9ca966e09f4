/**
 * Benchmarks of the model core on random-weight models of named shapes ({@link
 * dev.d2o.bench.BenchShape}): the engine's fp32 matrix-multiply peak, a training step (forward,
 * backward, AdamW), no-gradient scoring and generation ({@link dev.d2o.bench.ModelBench}). Not part
 * of the test run; {@code d2o bench} runs them and writes the report.
 */
package dev.d2o.bench;
