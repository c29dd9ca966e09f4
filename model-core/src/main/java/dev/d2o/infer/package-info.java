/**
 * Inference over a {@link dev.d2o.model.CausalLM}: batched, padded sequence log-probs with the prompt masked out
 * ({@link dev.d2o.infer.SequenceScorer}) and sampling generation with a key/value cache.
 */
package dev.d2o.infer;
