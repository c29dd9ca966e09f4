/**
 * Inference over a {@link dev.d2o.model.CausalLM}: batched, padded sequence log-probs with the
 * prompt masked out ({@link dev.d2o.infer.SequenceScorer}) and sampling generation with a key/value
 * cache ({@link dev.d2o.infer.Generator}, configured by {@link dev.d2o.infer.SamplingConfig}).
 * Tokens are drawn in Java from each row's float logits with a per-(seed, id, sample) stream
 * ({@link dev.d2o.infer.SampleStream}), so samples do not depend on batching, partitioning or
 * retries.
 */
package dev.d2o.infer;
