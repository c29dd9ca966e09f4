package dev.d2o.infer;

/**
 * One prompt to sample from.
 *
 * @param id the example's id: with the run seed and the sample index it seeds the sample, and it
 *     names the example in error messages
 * @param promptIds the prompt's tokens (BOS included where the model wants one), at least one
 */
public record GenerationRequest(String id, int[] promptIds) {}
