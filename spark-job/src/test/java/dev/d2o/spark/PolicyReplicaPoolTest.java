package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.model.LoraConfig;
import dev.d2o.model.Pretrained;
import dev.d2o.testing.TinyModels;
import dev.d2o.train.LossConfig;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradient tasks of one JVM borrow a replica each: a JVM holds as many as ran at once. With full
 * fine-tuning a further replica is an F32 copy of its own that neither evicts nor counts as a
 * cached model; with LoRA it shares the frozen base. Closing the cached model drops them all.
 */
class PolicyReplicaPoolTest {
  private static final LossConfig LOSS = LossConfig.of("d2o", 0.1, 0.1, 2);
  @TempDir Path tmp;

  @AfterEach
  void clear() {
    ModelCache.clear();
  }

  @Test
  void fullFineTuningBorrowsOwnCopiesWithoutEvictingTheReference() {
    String path = TinyModels.writeRandom(TinyModels.llama(), 1, tmp.resolve("m")).toString();
    Configuration conf = new Configuration();
    ModelSpec referenceSpec = new ModelSpec(path, "auto", "cpu", 0, false);
    ModelSpec policySpec = new ModelSpec(path, "float32", "cpu", 0, true);
    Pretrained reference = ModelCache.get(referenceSpec, conf);
    PolicyReplica.Recipe recipe = new PolicyReplica.Recipe(policySpec, null, LOSS, 2, 0, null, 1);

    PolicyReplica first;
    PolicyReplica second;
    try (PolicyReplica.Lease a = PolicyReplica.borrow(recipe, conf);
        PolicyReplica.Lease b = PolicyReplica.borrow(recipe, conf)) {
      first = a.replica();
      second = b.replica();
      assertNotSame(first, second, "two tasks at once: two replicas");
      assertSame(first, PolicyReplica.of(recipe, conf), "the first is built on the cached model");
      assertNotSame(
          first.model().param("model.norm.weight"), second.model().param("model.norm.weight"));
    }
    assertEquals(2, PolicyReplica.count(recipe));
    assertEquals(1, ModelCache.loads(policySpec), "the second copy is not a cache load");
    assertTrue(ModelCache.holds(referenceSpec), "the reference was not evicted");
    assertSame(reference, ModelCache.get(referenceSpec, conf));
    try (PolicyReplica.Lease again = PolicyReplica.borrow(recipe, conf)) {
      assertTrue(again.replica() == first || again.replica() == second, "a free one is reused");
    }
    assertEquals(2, PolicyReplica.count(recipe), "tasks one after the other need no third");

    ModelCache.release(policySpec);
    assertEquals(0, PolicyReplica.count(recipe), "closing the cached model drops its replicas");
  }

  @Test
  void loraReplicasShareTheFrozenBaseAndOwnTheirAdapters() {
    String path = TinyModels.writeRandom(TinyModels.llama(), 1, tmp.resolve("m")).toString();
    Configuration conf = new Configuration();
    ModelSpec base = new ModelSpec(path, "auto", "cpu", 0, false);
    PolicyReplica.Recipe recipe =
        new PolicyReplica.Recipe(base, LoraConfig.of(4, 8, 0, "auto"), LOSS, 2, 0, null, 1);
    try (PolicyReplica.Lease a = PolicyReplica.borrow(recipe, conf);
        PolicyReplica.Lease b = PolicyReplica.borrow(recipe, conf)) {
      assertSame(a.replica().model().base(), b.replica().model().base(), "one frozen base");
      assertNotSame(a.replica().model().adapters(), b.replica().model().adapters());
    }
    assertEquals(1, ModelCache.loads(base));
  }
}
