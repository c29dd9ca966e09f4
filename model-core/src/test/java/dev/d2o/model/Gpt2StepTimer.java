package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One GPT-2 decoding step with a clock around each part: the same operations as {@link
 * Gpt2Family#layer} and {@link Forward#hidden}, in the same order, split at the boundaries the
 * profile reports. A tool for {@code dev.d2o.infer.DecodeStepProfile}, not a test. The clock is
 * this thread's CPU time when the engine runs one intra-op thread (then every operation runs on
 * this thread, and other processes' load does not count), wall time otherwise.
 */
public final class Gpt2StepTimer {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final boolean cpuClock;
  private final Map<String, Double> ms = new LinkedHashMap<>();
  private long mark;

  /**
   * @param cpuClock time with this thread's CPU time (one intra-op thread), else wall time
   */
  public Gpt2StepTimer(boolean cpuClock) {
    this.cpuClock = cpuClock;
  }

  /** Now, in the timer's clock (ns). */
  public long now() {
    return cpuClock ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
  }

  /** Adds {@code nanos} to part {@code part}. */
  public void add(String part, long nanos) {
    ms.merge(part, nanos / 1e6, Double::sum);
  }

  /** Milliseconds per part, summed over the timed steps, in first-seen order. */
  public Map<String, Double> totals() {
    return ms;
  }

  /** Forgets the totals (after warm-up steps). */
  public void reset() {
    ms.clear();
  }

  private void start() {
    mark = now();
  }

  private void lap(String part) {
    long n = now();
    add(part, n - mark);
    mark = n;
  }

  /** One step of token ids (B, 1) at positions (B, 1) against {@code cache}: logits (B, V). */
  public NDArray stepLogits(
      CausalLM m, NDArray ids, NDArray pos, AttentionMask mask, KvCache cache) {
    ModelConfig c = m.config();
    start();
    LayerInputs in = Forward.inputs(m, ids, pos, mask, cache);
    NDArray x = c.family().embed(m, ids, pos, in); // (B, 1, E)
    lap("embedding");
    for (int i = 0; i < c.numLayers(); i++) {
      x = layer(m, i, x, in);
    }
    start();
    NDArray h = c.family().finalNorm(m, x, in);
    lap("final norm");
    NDArray logits = m.logits(h).reshape(ids.getShape().get(0), -1); // (B, V)
    lap("lm head");
    return logits;
  }

  private NDArray layer(CausalLM m, int i, NDArray x, LayerInputs in) {
    ModelConfig c = m.config();
    long b = in.batch();
    long t = in.tokens();
    int heads = c.numHeads();
    int d = c.headDim();
    Weights w = m.layer(i, in);
    start();
    NDArray h = Norms.layerNorm(x, w.get("ln_1.weight"), w.get("ln_1.bias"), c.normEps());
    lap("layer norms");
    NDArray fused = w.conv1d("attn.c_attn", h); // (B, 1, 3E)
    lap("q/k/v projection");
    NDList qkv = fused.split(3, 2);
    NDArray q = Attention.heads(qkv.get(0), b, t, heads, d); // (B, H, 1, D)
    NDArray k = Attention.heads(qkv.get(1), b, t, heads, d);
    NDArray v = Attention.heads(qkv.get(2), b, t, heads, d);
    lap("split heads");
    NDList kv = in.cache().append(i, k, v); // (B, H, S, D) views
    lap("cache write + view");
    long s = kv.get(0).getShape().get(2);
    NDArray scores = q.matMul(kv.get(0).transpose(0, 1, 3, 2)); // (B, H, 1, S)
    lap("attention q·kᵀ");
    scores = scores.mul(Scalars.of(scores, 1.0 / Math.sqrt(d))).reshape(b, heads, 1, t, s);
    NDArray probs = in.mask().apply(scores, 0).softmax(-1).reshape(b, heads, t, s);
    lap("attention scale, mask, softmax");
    NDArray out = probs.matMul(kv.get(1)); // (B, H, 1, D)
    lap("attention p·v");
    NDArray a = out.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * d); // (B, 1, E)
    lap("merge heads");
    x = x.add(w.conv1d("attn.c_proj", a));
    lap("attention output projection + residual");
    h = Norms.layerNorm(x, w.get("ln_2.weight"), w.get("ln_2.bias"), c.normEps());
    lap("layer norms");
    NDArray f = w.conv1d("mlp.c_fc", h); // (B, 1, 4E)
    lap("MLP up projection");
    NDArray g = Mlp.geluTanh(f);
    lap("MLP GELU");
    NDArray y = x.add(w.conv1d("mlp.c_proj", g)); // (B, 1, E)
    lap("MLP down projection + residual");
    return y;
  }

  /** The shape of a decoding step's token ids. */
  public static Shape ids(int batch) {
    return new Shape(batch, 1);
  }
}
