package dev.d2o.model;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random weights written straight to sharded safetensors, tensor by tensor, in any storage type:
 * the values of {@link CausalLM#random} (the same seed gives the same F32 values, drawn in
 * checkpoint order), without ever holding the model in memory. So a random model of a real shape
 * (1–8 B parameters) can be made on a machine that could not hold it in F32.
 */
public final class RandomWeights {
  private static final int BLOCK = 1 << 20;

  private RandomWeights() {}

  /** Writes {@code config}'s tensors drawn with {@code seed} as {@code type} into {@code out}. */
  public static void write(
      ModelConfig config, long seed, WeightType type, Path out, long maxShardBytes)
      throws IOException {
    Random rnd = new Random(seed);
    List<SafeTensorsShards.Tensor> specs = new ArrayList<>();
    List<TensorLayout.Tensor> tensors = config.tensors().tensors();
    for (TensorLayout.Tensor t : tensors) {
      specs.add(new SafeTensorsShards.Tensor(t.name(), type.dtype(), t.shape().getShape()));
    }
    SafeTensorsShards.write(
        out,
        specs,
        maxShardBytes,
        (spec, os) -> {
          TensorLayout.Tensor t = tensors.get(specs.indexOf(spec));
          draw(t, rnd, type, os);
        });
    ModelWriter.writeConfig(config, type, out);
  }

  /** Writes {@code t}'s values (its {@link TensorLayout.Init}) a block at a time. */
  private static void draw(TensorLayout.Tensor t, Random rnd, WeightType type, OutputStream os)
      throws IOException {
    long n = t.size();
    ByteBuffer buf =
        ByteBuffer.allocate((int) Math.min(n, BLOCK) * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (long from = 0; from < n; from += BLOCK) {
      int count = (int) Math.min(BLOCK, n - from);
      buf.clear();
      for (int i = 0; i < count; i++) {
        float v =
            switch (t.init()) {
              case ONES -> 1f;
              case ZEROS -> 0f;
              case NORMAL -> (float) (rnd.nextGaussian() * 0.02);
            };
        TensorLoader.put(buf, v, type, t.name(), "random weights", from + i);
      }
      os.write(buf.array(), 0, buf.position());
    }
  }
}
