package dev.d2o.model;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where the groups of a model's weights live ({@code model.device}): the embedding on the first
 * device, contiguous layer ranges on the next ones, the head on the last device used. {@link #plan}
 * computes the assignment from the bytes of each group ({@link TensorLayout}) and each device's
 * budget, as a pure function; the forward pass copies the activations where one group's device
 * differs from the next one's. DJL has no pipeline or collective operations: the stages run one
 * after the other, which is enough to hold a base too large for one GPU.
 */
public final class Placement {
  private final List<Device> devices;
  private final int[] groups; // device index of: embedding, layer 0 … layer L−1, head

  private Placement(List<Device> devices, int[] groups) {
    this.devices = List.copyOf(devices);
    this.groups = groups;
  }

  /** Every group of a model of {@code layers} layers on {@code device}. */
  public static Placement single(Device device, int layers) {
    return new Placement(List.of(device), new int[layers + 2]);
  }

  /**
   * A placement on {@code devices} of the groups as {@link #plan} assigns them (indices into {@code
   * devices}, embedding first, head last).
   */
  public static Placement of(List<Device> devices, int[] groups) {
    for (int g : groups) {
      if (g < 0 || g >= devices.size()) {
        throw new IllegalArgumentException(
            "group device " + g + " outside " + devices.size() + " devices");
      }
    }
    return new Placement(devices, groups.clone());
  }

  /**
   * Assigns the groups to devices in order, filling each device up to its budget before the next
   * one: the embedding goes to device 0, each layer to the current device while it fits, else to
   * the next, and the head after the last layer the same way. So the fewest devices are used and
   * each holds one contiguous range.
   *
   * @param embedding bytes of the embedding group
   * @param layers bytes of each layer
   * @param head bytes of the head (the final norm, and the output projection when not tied)
   * @param budgets bytes each device may hold
   * @return the device index of the embedding, of each layer, then of the head
   */
  public static int[] plan(long embedding, long[] layers, long head, long[] budgets) {
    int[] out = new int[layers.length + 2];
    long[] used = new long[budgets.length];
    int device = 0;
    for (int g = 0; g < out.length; g++) {
      long bytes = g == 0 ? embedding : g == out.length - 1 ? head : layers[g - 1];
      while (used[device] + bytes > budgets[device]) {
        if (g == 0 || device == budgets.length - 1) {
          throw new ModelException(doesNotFit(g, bytes, embedding, layers, head, budgets));
        }
        device++; // the embedding never moves off the first device
      }
      used[device] += bytes;
      out[g] = device;
    }
    return out;
  }

  private static String doesNotFit(
      int group, long bytes, long embedding, long[] layers, long head, long[] budgets) {
    long total = embedding + head + Arrays.stream(layers).sum();
    String what =
        group == 0
            ? "the embedding"
            : group == layers.length + 1 ? "the head" : "layer " + (group - 1);
    return String.format(
        Locale.ROOT,
        "the model's weights (%s in all: embedding %s, %d layers up to %s each, head %s) do not fit"
            + " the devices' budgets %s: %s (%s) has no room left. Add devices to model.device,"
            + " store the weights in half precision (model.dtype = float16 or bfloat16) or raise"
            + " model.deviceMemoryGb",
        gb(total),
        gb(embedding),
        layers.length,
        gb(Arrays.stream(layers).max().orElse(0)),
        gb(head),
        Arrays.stream(budgets).mapToObj(Placement::gb).toList(),
        what,
        gb(bytes));
  }

  private static String gb(long bytes) {
    return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
  }

  /** The stage (index into the devices) of the embedding: 0. */
  public int embeddingStage() {
    return groups[0];
  }

  /** The stage of layer {@code i}. */
  public int layerStage(int i) {
    return groups[i + 1];
  }

  /** The stage of the head. */
  public int headStage() {
    return groups[groups.length - 1];
  }

  /** The device of {@code stage}. */
  public Device device(int stage) {
    return devices.get(stage);
  }

  /** The devices, by stage. */
  public List<Device> devices() {
    return devices;
  }

  /** The device of {@code group} of {@code layout}. */
  Device deviceOf(TensorLayout layout, TensorLayout.Group group) {
    if (group == layout.embedding()) {
      return device(embeddingStage());
    }
    int i = layout.layers().indexOf(group);
    return device(i >= 0 ? layerStage(i) : headStage());
  }

  /** Layers in all. */
  public int numLayers() {
    return groups.length - 2;
  }

  /** Whether more than one device holds weights. */
  public boolean isStaged() {
    return Arrays.stream(groups).distinct().count() > 1;
  }

  /** The layer ranges per device, for logs: {@code cpu(): embedding, layers 0-7; ...}. */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int g = 1; g <= groups.length; g++) {
      if (g == groups.length || groups[g] != groups[start]) {
        parts.add(devices.get(groups[start]) + ": " + range(start, g - 1));
        start = g;
      }
    }
    return String.join("; ", parts);
  }

  private String range(int from, int to) {
    int last = groups.length - 1;
    List<String> what = new ArrayList<>();
    if (from == 0) {
      what.add("embedding");
    }
    int lo = Math.max(from, 1) - 1;
    int hi = Math.min(to, last - 1) - 1;
    if (hi >= lo) {
      what.add(lo == hi ? "layer " + lo : "layers " + lo + "-" + hi);
    }
    if (to == last) {
      what.add("head");
    }
    return String.join(", ", what);
  }
}
