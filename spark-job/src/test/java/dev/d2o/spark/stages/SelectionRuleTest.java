package dev.d2o.spark.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.SelectionRule.Candidate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fixed rule of a swept comparison, and the grid's values. */
class SelectionRuleTest {
  @Test
  void highestHelpfulRateAmongTheValuesThatKeepTheWellFormedRate() {
    List<Candidate> grid =
        List.of(
            new Candidate("lr=1e-5", 0.40, 0.90, 0.01),
            new Candidate("lr=1e-4", 0.55, 0.86, 0.20), // 0.86 >= 0.91 - 0.05: allowed
            new Candidate("lr=1e-3", 0.70, 0.85, 1.50)); // below the floor: never chosen
    assertEquals("lr=1e-4", SelectionRule.choose(grid, 0.91).orElseThrow().name());
    assertEquals("lr=1e-3", SelectionRule.choose(grid, 0.90).orElseThrow().name());
  }

  @Test
  void tiesGoToTheLowerKlThenToTheEarlierValue() {
    List<Candidate> grid =
        List.of(
            new Candidate("a", 0.5, 0.9, 0.3),
            new Candidate("b", 0.5, 0.9, 0.1),
            new Candidate("c", 0.5, 0.9, 0.1));
    assertEquals("b", SelectionRule.choose(grid, 0.9).orElseThrow().name());
  }

  @Test
  void noValueIsChosenWhenEveryOneLosesTheWellFormedRate() {
    List<Candidate> grid =
        List.of(new Candidate("a", 0.9, 0.5, 0.3), new Candidate("b", 0.1, Double.NaN, 0.1));
    assertTrue(SelectionRule.choose(grid, 0.9).isEmpty());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SelectionRule.choose(grid, Double.NaN));
    assertTrue(e.getMessage().startsWith("the rule needs the reference's judge/wellformed_rate"));
  }

  @Test
  void theGridRunsEveryLearningRateAtEveryBeta() {
    JobConfig cfg = JobConfig.defaults();
    assertEquals(
        List.of("lr=" + cfg.trainConfig().get(dev.d2o.train.TrainConfig.LEARNING_RATE)),
        Sweep.none().points(cfg).stream().map(Sweep.Point::name).toList());
    assertTrue(!Sweep.none().sweeps());
    Sweep s = new Sweep(List.of(1e-4, 5e-4), List.of(0.1, 0.5));
    assertTrue(s.sweeps());
    assertEquals(
        List.of(
                "lr=1.0E-4,beta=0.1",
                "lr=5.0E-4,beta=0.1",
                "lr=1.0E-4,beta=0.5",
                "lr=5.0E-4,beta=0.5")
            .stream()
            .sorted()
            .toList(),
        s.points(cfg).stream().map(Sweep.Point::name).sorted().toList());
    Sweep.Point p = s.points(cfg).get(1);
    JobConfig at = p.apply(cfg);
    assertEquals(p.learningRate(), at.trainConfig().get(dev.d2o.train.TrainConfig.LEARNING_RATE));
    assertEquals(p.beta(), at.trainConfig().get(dev.d2o.train.TrainConfig.BETA));
    assertTrue(new Sweep(List.of(1e-4), List.of()).points(cfg).size() == 1);
    assertTrue(!new Sweep(List.of(1e-4), List.of()).sweeps());
  }
}
