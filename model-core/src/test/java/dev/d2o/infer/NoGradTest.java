package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.d2o.model.CausalLM;
import dev.d2o.model.NoGrad;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Generation and scoring on a thread the engine did not start on (as a Spark task runs), with
 * weights that require gradients (as the policy's do during training): PyTorch records autograd
 * graphs there unless told not to, so every array a step makes would keep a graph back to the
 * weights alive. Whether a result was recorded shows in whether a backward pass from it reaches the
 * weights: inside the generator it cannot, the number of live arrays stays the same from step to
 * step, and the thread's own mode is restored afterwards.
 */
class NoGradTest {
  @Test
  void aFreshThreadRecordsUnlessInsideNoGrad() throws Exception {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load("llama-f32", manager)) {
      model.setTrainable(true);
      List<Boolean> got =
          onFreshThread(
              () -> {
                List<Boolean> out = new ArrayList<>();
                out.add(NoGrad.isRecording()); // PyTorch's default on a new thread
                NDArray w = model.parameters().values().iterator().next();
                try (NDManager m = manager.newSubManager()) {
                  out.add(recorded(w.mul(m.create(2f)).sum()));
                  try (NoGrad g = NoGrad.open()) {
                    out.add(NoGrad.isRecording());
                    out.add(recorded(w.mul(m.create(2f)).sum()));
                  }
                }
                out.add(NoGrad.isRecording()); // restored
                return out;
              });
      assertEquals(List.of(true, true, false, false, true), got);
    }
  }

  @Test
  void generationOnAFreshThreadRecordsNoGraph() throws Exception {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load("llama-f32", manager)) {
      model.setTrainable(true);
      List<String> problems = new ArrayList<>();
      List<Integer> live = new ArrayList<>();
      List<NDArray> sums = new ArrayList<>(); // each step's logits summed, kept past the step
      BatchDecoder.StepObserver check =
          (step, rows, logits, call) -> {
            if (NoGrad.isRecording()) {
              problems.add("step " + step + ": recording");
            }
            NDArray sum = logits.sum();
            NDScope.unregister(sum);
            sum.attach(manager);
            sums.add(sum);
            live.add(call.getManagedArrays().size());
          };
      SamplingConfig cfg = new SamplingConfig(0.9, 0.95, 20, 12, 12, 1.2, 4);
      boolean after =
          onFreshThread(
              () -> {
                new Generator(model, null, 8, 1 << 14)
                    .observe(check)
                    .generate(GeneratorCacheTest.prompts(model, 3), 2, cfg);
                new SequenceScorer(model, 4, LengthPolicy.FAIL)
                    .score(List.of(new ScoreRequest("s", new int[] {5, 6}, new int[] {7, 8})));
                for (int s = 0; s < sums.size(); s++) {
                  if (recorded(sums.get(s))) {
                    problems.add("step " + s + ": the logits carry a graph to the weights");
                  }
                }
                return NoGrad.isRecording();
              });
      assertEquals(List.of(), problems);
      assertTrue(after, "the thread records again after generating");
      assertEquals(12, live.size());
      for (int s = 2; s < live.size(); s++) {
        assertEquals(live.get(1), live.get(s), "arrays alive at step " + s + ": " + live);
      }
    }
  }

  /** Whether a backward pass from {@code y} reaches anything (PyTorch refuses when no graph). */
  private static boolean recorded(NDArray y) {
    try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
      c.backward(y);
      return true;
    } catch (EngineException e) {
      return false;
    }
  }

  private static <T> T onFreshThread(java.util.concurrent.Callable<T> body) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<T> f = pool.submit(body);
      return f.get();
    } finally {
      pool.shutdown();
    }
  }
}
