package dev.d2o.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The cores a local master gives its concurrent gradient tasks to share. */
class ReplicaSpecTest {
  @Test
  void localMastersCountTheirCores() {
    assertEquals(1, ReplicaSpec.localCores("local"));
    assertEquals(2, ReplicaSpec.localCores("local[2]"));
    assertEquals(4, ReplicaSpec.localCores("local[4, 3]"));
    assertEquals(Runtime.getRuntime().availableProcessors(), ReplicaSpec.localCores("local[*]"));
  }
}
