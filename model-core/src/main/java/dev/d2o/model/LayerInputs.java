package dev.d2o.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.Map;

/**
 * What every decoder layer of one forward call reads besides its weights: the batch and token
 * counts, the rotary cos/sin of the positions (empty for learned positions), the attention mask,
 * the key/value cache, and the manager the call's activations belong to. When the layers sit on
 * several devices ({@link Placement}), {@link #on} gives the same inputs on another device, copied
 * once per call.
 */
final class LayerInputs {
  /**
   * A call with a cache and at most this many new tokens per row is a decoding step: small products
   * that read every weight once, where widening half-precision weights would cost more than the
   * product itself (measured: see {@link Weights}).
   */
  static final long DECODE_MAX_TOKENS = 4;

  private final long batch;
  private final long tokens;
  private final NDList rope;
  private final AttentionMask mask;
  private final KvCache cache;
  private final NDManager manager;
  private final Map<Integer, LayerInputs> copies; // by stage

  private LayerInputs(
      long batch,
      long tokens,
      NDList rope,
      AttentionMask mask,
      KvCache cache,
      NDManager manager,
      Map<Integer, LayerInputs> copies) {
    this.batch = batch;
    this.tokens = tokens;
    this.rope = rope;
    this.mask = mask;
    this.cache = cache;
    this.manager = manager;
    this.copies = copies;
  }

  /** The inputs of a call on token ids (B, T) at {@code rope} (cos, sin, or empty). */
  static LayerInputs of(NDArray ids, NDList rope, AttentionMask mask, KvCache cache) {
    return new LayerInputs(
        ids.getShape().get(0),
        ids.getShape().get(1),
        rope,
        mask,
        cache,
        ids.getManager(),
        new HashMap<>());
  }

  /** Inputs for the output head alone: only the manager of its activations. */
  static LayerInputs of(NDManager manager) {
    return new LayerInputs(0, 0, new NDList(), null, null, manager, new HashMap<>());
  }

  /** B. */
  long batch() {
    return batch;
  }

  /** T, the new tokens per row. */
  long tokens() {
    return tokens;
  }

  /** Rotary cos and sin (B, 1, T, D), or an empty list. */
  NDList rope() {
    return rope;
  }

  AttentionMask mask() {
    return mask;
  }

  /** The key/value cache, or null. */
  KvCache cache() {
    return cache;
  }

  /** The manager the call's activations (and widened weights) belong to. */
  NDManager manager() {
    return manager;
  }

  /** Whether this call is a decoding step (see {@link #DECODE_MAX_TOKENS}). */
  boolean decoding() {
    return cache != null && tokens <= DECODE_MAX_TOKENS;
  }

  /**
   * These inputs for the layers of placement stage {@code stage} on {@code device}: this object for
   * the stage of the embedding's device, else copies made on first use (also between equal devices,
   * so that the code path of a multi-device placement runs on one CPU).
   */
  LayerInputs onStage(int stage, Device device) {
    if (copies.isEmpty()) {
      copies.put(stage, this); // the first stage asked for is where the inputs were made
    }
    return copies.computeIfAbsent(
        stage,
        s -> {
          NDList r = new NDList();
          rope.forEach(a -> r.add(a.toDevice(device, true)));
          AttentionMask moved = mask == null ? null : mask.on(device);
          return new LayerInputs(batch, tokens, r, moved, cache, manager, copies);
        });
  }
}
