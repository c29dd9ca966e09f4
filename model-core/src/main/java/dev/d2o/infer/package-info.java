/**
 * Inference over a {@link dev.d2o.model.CausalLM}: batched, padded sequence log-probs with the
 * prompt masked out ({@link dev.d2o.infer.SequenceScorer}) and sampling generation with a key/value
 * cache ({@link dev.d2o.infer.Generator}, configured by {@link dev.d2o.infer.SamplingConfig}): one
 * prompt pass per prompt for its K samples, a preallocated cache, and the draw on the engine from
 * one uniform per row and step of a per-(seed, id, sample) stream ({@link
 * dev.d2o.infer.SampleStream}), so samples do not depend on batching, partitioning or retries. No
 * inference records an autograd graph ({@link dev.d2o.model.NoGrad}).
 */
package dev.d2o.infer;
