package dev.d2o.train;

import ai.djl.ndarray.NDManager;
import dev.d2o.bench.BenchShape;
import dev.d2o.bench.ModelBench;
import dev.d2o.model.CausalLM;
import dev.d2o.model.EngineThreads;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;

/**
 * Whether the thread a gradient call runs on changes its cost: a tool run by hand (not a test). The
 * bench's D²O batch (2 rows of K = 3 anchors and a negative, one row per chunk) on a random model
 * of a bench shape, alternating: {@code main} (this thread, as the single-process trainer), {@code
 * pool} (a reused pool thread, as a Spark task thread, with {@link EngineThreads}), {@code
 * poolsplit} (the same, one call per chunk merged, as a Spark task did before one call per task),
 * {@code fresh} (a new thread each time). Prints wall and process CPU seconds and the process's
 * minor page faults per call; under load compare CPU seconds. Run after {@code mvn -pl model-core
 * -am test-compile}:
 *
 * <pre>
 * java -cp model-core/target/test-classes:model-core/target/classes:$(cat spark-job/target/classpath.txt) \
 *     dev.d2o.train.GradientThreadProfile gpt2-124m 3 main,pool,poolsplit
 * </pre>
 */
public final class GradientThreadProfile {
  private GradientThreadProfile() {}

  /** Arguments: shape, repetitions, modes (comma-separated), engine threads (2 if absent). */
  public static void main(String[] args) throws Exception {
    String shape = args[0];
    int reps = Integer.parseInt(args[1]);
    String[] modes = args[2].split(",");
    try (NDManager m = NDManager.newBaseManager();
        CausalLM model = ModelBench.randomModel(BenchShape.of(shape), m)) {
      ModelBench.setThreads(args.length > 3 ? Integer.parseInt(args[3]) : 2);
      List<TrainExample> rows = ModelBench.rows(model, 2, 5);
      GradientComputer gc =
          new GradientComputer(model, LossConfig.of("d2o", 0.1, 0.1, ModelBench.K), 1, 0);
      ExecutorService pool = Executors.newCachedThreadPool();
      for (int r = 0; r < reps; r++) {
        for (String mode : modes) {
          Callable<Object> body =
              () -> {
                if (!mode.equals("main")) {
                  EngineThreads.matchInThisThread();
                }
                if (mode.equals("poolsplit")) {
                  GradientSums s = GradientSums.zero();
                  s.merge(gc.compute(rows.subList(0, 1)));
                  s.merge(gc.compute(rows.subList(1, 2)));
                  return s.forTransport();
                }
                return gc.compute(rows).forTransport();
              };
          long f0 = minorFaults();
          double c0 = cpuSeconds();
          long t0 = System.nanoTime();
          if (mode.equals("main")) {
            body.call();
          } else if (mode.equals("fresh")) {
            FutureTask<Object> task = new FutureTask<>(body);
            new Thread(task).start();
            task.get();
          } else {
            pool.submit(body).get();
          }
          System.out.printf(
              Locale.ROOT,
              "%s rep %d: wall %.3f s, cpu %.3f s, minor faults %d, load %s%n",
              mode,
              r,
              (System.nanoTime() - t0) / 1e9,
              cpuSeconds() - c0,
              minorFaults() - f0,
              Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        }
      }
      pool.shutdown();
    }
  }

  private static long minorFaults() throws java.io.IOException {
    String s = Files.readString(Path.of("/proc/self/stat"));
    return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[7]); // field 10
  }

  private static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e9;
  }
}
