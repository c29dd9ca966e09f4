package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The cut of a step's chunks into G contiguous groups, one gradient task each. */
class GradientGroupsTest {
  @Test
  void groupsAreContiguousCoverEveryChunkAndDifferByAtMostOne() {
    for (int chunks = 1; chunks <= 40; chunks++) {
      for (int groups = 1; groups <= 12; groups++) {
        int expected = 0;
        for (int g = 0; g < groups; g++) {
          int from = GradientGroups.firstChunk(g, chunks, groups);
          int to = GradientGroups.firstChunk(g + 1, chunks, groups);
          assertEquals(expected, from, "contiguous");
          int size = to - from;
          assertTrue(size == chunks / groups || size == chunks / groups + 1, "balanced");
          for (int c = from; c < to; c++) {
            assertEquals(g, GradientGroups.groupOf(c, chunks, groups), c + " of " + chunks);
          }
          expected = to;
        }
        assertEquals(chunks, expected, "every chunk");
      }
    }
  }

  @Test
  void chunksRoundUp() {
    assertEquals(3, GradientGroups.chunks(5, 2));
    assertEquals(2, GradientGroups.chunks(4, 2));
    assertEquals(1, GradientGroups.chunks(1, 8));
    // 3 chunks in 2 groups: [0], [1, 2]
    assertEquals(0, GradientGroups.groupOf(0, 3, 2));
    assertEquals(1, GradientGroups.groupOf(1, 3, 2));
    assertEquals(1, GradientGroups.groupOf(2, 3, 2));
  }
}
